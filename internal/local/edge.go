package local

import (
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Header limits. Go's http.Server answers requests whose headers exceed
// its MaxHeaderBytes itself, with a plain-text 431 that no handler sees or
// can change. So the server's limit, serverMaxHeaderBytes, is set well
// above maxHeaderBytes, which the edge checks and answers in the API's
// JSON; only headers over serverMaxHeaderBytes still get Go's plain text,
// which net/http does not let us change.
const (
	maxHeaderBytes       = 16 << 10
	serverMaxHeaderBytes = 64 << 10
)

// probeMethods are the methods tried to tell "no such path" (404) from
// "not this method" (405) for a request the mux does not route.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// edge answers in the API's JSON error format what ServeMux would otherwise
// answer itself in plain text or with a redirect (SPEC §4: every response
// is JSON, no HTML, no redirects, no plain text): oversized headers (431),
// paths ServeMux would clean with a redirect (//, /./, /../: 404), paths no
// route takes (404) and methods a path does not take (405 with Allow).
func edge(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerBytes(r) > maxHeaderBytes {
			writeStatus(w, http.StatusRequestHeaderFieldsTooLarge, team.CodeInvalidRequest,
				"The request's headers are too large (at most 16 KiB); send fewer or shorter headers.")
			return
		}
		if p := r.URL.Path; p == "" || p[0] != '/' || cleanPath(p) != p {
			notFound(w, "There is no such path: remove empty and dot segments (//, /./, /../) from it.")
			return
		}
		// The web page's catch-all "/" matches every path; only the page's
		// own paths are its to answer.
		if _, pattern := mux.Handler(r); pattern == "" || (pattern == "/" && !isPagePath(r.URL.Path)) {
			var allow []string
			for _, m := range probeMethods {
				probe := r.Clone(r.Context())
				probe.Method = m
				if _, p := mux.Handler(probe); p != "" && p != "/" {
					allow = append(allow, m)
				}
			}
			if len(allow) == 0 {
				notFound(w, "")
				return
			}
			slices.Sort(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeStatus(w, http.StatusMethodNotAllowed, team.CodeInvalidRequest,
				r.Method+" is not supported here; use "+strings.Join(allow, ", ")+".")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// notFound answers 404 not_found in the API's JSON.
func notFound(w http.ResponseWriter, message string) {
	if message == "" {
		message = "There is no such endpoint; see the API reference (docs/openapi.yaml) for the routes."
	}
	writeStatus(w, http.StatusNotFound, team.CodeNotFound, message)
}

// writeStatus writes an error in the API's format with a status of its
// own: 405 and 431 are refusals of the request's form (invalid_request)
// with the status HTTP has for them, as the API's own 405 does.
func writeStatus(w http.ResponseWriter, status int, code team.Code, message string) {
	if status == httpapi.StatusOf(code) {
		httpapi.WriteError(w, team.Errorf(code, "%s", message))
		return
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message}})
}

// headerBytes is the size of the request line's target and headers as
// sent, near enough to what http.Server counts for MaxHeaderBytes.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	return n
}

// cleanPath is path.Clean keeping a trailing slash, which is what ServeMux
// redirects to when a path differs from it.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
