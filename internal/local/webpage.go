package local

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/businessapp/usermanagement/internal/team"
	"github.com/businessapp/usermanagement/web"
)

// webConfig is the page's config.json on the local stack: the API on the
// same origin, and the local sign-in through POST /dev/token offering the
// seeded manager. Deployed copies of the page get their own (web/README.md).
type webConfig struct {
	APIBaseURL string `json:"apiBaseUrl"`
	TokenMode  string `json:"tokenMode"`
	Local      struct {
		SuggestedEmail string `json:"suggestedEmail"`
	} `json:"local"`
}

// handleWebPage adds the web page's routes to mux: the page at
// /{businessId}/administration/users, its assets under /assets/, its
// config.json, and /{businessId} (where welcome emails link) redirecting to
// the page.
func handleWebPage(mux *http.ServeMux) {
	files := web.Files()
	assets := http.FileServerFS(files)
	mux.HandleFunc("GET /assets/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		noCache(w)
		assets.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		cfg := webConfig{TokenMode: "local"}
		cfg.Local.SuggestedEmail = DemoOwner
		noCache(w)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(cfg)
	})
	mux.HandleFunc("GET /{businessId}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("businessId")
		if _, err := team.ParseBusinessID(id); err != nil {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, "/"+id+"/administration/users", http.StatusFound)
	})
	// The page's pattern would overlap the API's "/v1/" (a business could be
	// called v1), which ServeMux refuses, so it is matched here, behind every
	// more specific route.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || !isPagePath(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		noCache(w)
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'")
		http.ServeFileFS(w, r, files, "index.html")
	})
}

// noCache makes browsers revalidate, so an edited file shows on reload.
func noCache(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-cache") }

// isPagePath reports whether p is /{businessId}/administration/users (SPEC
// §1), with or without a trailing slash.
func isPagePath(p string) bool {
	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	return len(parts) == 4 && parts[0] == "" && parts[1] != "" && parts[2] == "administration" && parts[3] == "users"
}
