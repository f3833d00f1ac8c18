package local

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
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
//
// It returns the error of web.InlineStyleSource when the page's inline style
// cannot be allowed by its content security policy (a broken index.html).
func handleWebPage(mux *http.ServeMux) error {
	csp, err := pageCSP()
	if err != nil {
		return err
	}
	files := web.Files()
	assets := http.FileServerFS(files)
	gz := gzipFiles(files)
	mux.HandleFunc("GET /assets/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if strings.HasSuffix(name, "/") || !fileExists(files, name) {
			notFound(w, "There is no such file.") // and no directory listings
			return
		}
		noCache(w)
		pageHeaders(w)
		if serveGzip(w, r, gz, name) {
			return
		}
		assets.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		cfg := webConfig{TokenMode: "local"}
		cfg.Local.SuggestedEmail = DemoOwner
		noCache(w)
		pageHeaders(w)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(cfg)
	})
	mux.HandleFunc("GET /{businessId}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("businessId")
		if _, err := team.ParseBusinessID(id); err != nil || reservedPathName(id) {
			notFound(w, "")
			return
		}
		http.Redirect(w, r, "/"+id+"/administration/users", http.StatusFound)
	})
	// The page's pattern would overlap the API's "/v1/" (a business could be
	// called v1), which ServeMux refuses, so it is matched here, behind every
	// more specific route.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !isPagePath(r.URL.Path) {
			notFound(w, "")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeStatus(w, http.StatusMethodNotAllowed, team.CodeInvalidRequest, r.Method+" is not supported here; use GET.")
			return
		}
		noCache(w)
		pageHeaders(w)
		w.Header().Set("Content-Security-Policy", csp)
		if serveGzip(w, r, gz, "index.html") {
			return
		}
		http.ServeFileFS(w, r, files, "index.html")
	})
	return nil
}

// pageCSP returns the page's content security policy: its own scripts,
// styles and API only (no inline script, no eval), pictures from anywhere
// secure (profileImageUrl), framed only by its own origin. The one inline
// style allowed is index.html's first-paint block, by its hash, computed from
// the embedded file so that an edit to it cannot leave the policy behind.
// web/README.md gives the deployed equivalent.
//
// It returns the error of web.InlineStyleSource.
func pageCSP() (string, error) {
	style, err := web.InlineStyleSource()
	if err != nil {
		return "", fmt.Errorf("the page's content security policy: %w", err)
	}
	return "default-src 'self'; style-src 'self' " + style + "; img-src 'self' data: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'", nil
}

// pageHeaders sets what every file of the page is served with, as the
// hosting guide's CloudFront response headers policy does (web/README.md):
// nosniff, so a file is only ever run or styled as the type it is served
// as; and a same-origin Referrer-Policy, so the page's address (which names
// the business) does not leak to other sites, such as the host of a
// profile picture.
func pageHeaders(w http.ResponseWriter) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "same-origin")
}

// gzipFiles compresses every file of fsys once, when the stack starts (the
// page is a few dozen small files): on a slow network the bytes of the
// modules were a second of the wait (docs/PERFORMANCE.md), and CloudFront
// compresses them the same way when hosted (web/README.md).
func gzipFiles(fsys fs.FS) map[string][]byte {
	out := map[string][]byte{}
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
		if _, err := zw.Write(raw); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		out[name] = buf.Bytes()
		return nil
	})
	return out
}

// serveGzip answers with the compressed copy of name when the client
// accepts gzip and there is one, and reports whether it did.
func serveGzip(w http.ResponseWriter, r *http.Request, gz map[string][]byte, name string) bool {
	body, ok := gz[name]
	w.Header().Add("Vary", "Accept-Encoding")
	if !ok || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return false
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return true
	}
	_, _ = w.Write(body)
	return true
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (and
// does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// noCache makes browsers revalidate, so an edited file shows on reload.
func noCache(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-cache") }

// isPagePath reports whether p is /{businessId}/administration/users (SPEC
// §1), with or without a trailing slash.
func isPagePath(p string) bool {
	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	return len(parts) == 4 && parts[0] == "" && parts[1] != "" && parts[2] == "administration" && parts[3] == "users"
}

// fileExists reports whether name is a file of fsys.
func fileExists(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	return err == nil && !info.IsDir()
}

// reservedPathName reports first path segments that belong to the API or
// the local stack rather than to a business's short link: API versions
// (v1, V2, ...) and /dev, so that /v2 or /dev is an API 404 in JSON, not a
// redirect to a page of a business called v2.
func reservedPathName(id string) bool {
	lower := strings.ToLower(id)
	if lower == "dev" || lower == "assets" {
		return true
	}
	return len(lower) > 1 && lower[0] == 'v' && strings.Trim(lower[1:], "0123456789") == ""
}
