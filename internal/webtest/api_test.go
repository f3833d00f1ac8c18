package webtest

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestStaleUnauthorizedKeepsTheNewSession runs the page's API client
// (web/assets/api.js) against a server that answers every request 401. A
// 401 to a request sent in the current session ends it (onUnauthenticated);
// one that comes back after the person signed in again, to a request of
// the old session still in flight, does not sign them out of the new one
// (CI saw TestFormsKeepWork's re-signed-in owner sent back to sign-in).
// Either way the caller gets the 401.
func TestStaleUnauthorizedKeepsTheNewSession(t *testing.T) {
	p := modulePage(t, func(mux *http.ServeMux) {
		mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":"unauthenticated","message":"Sign in again."}}`))
		})
	})

	for _, tt := range []struct {
		name string
		// tokens are what auth.token() gives, call after call: when the
		// request is sent, then when its 401 has come back.
		tokens    string
		wantEnded bool
	}{
		{"the session the request was sent in", `["old", "old"]`, true},
		{"signed in again while the request was in flight", `["old", "new"]`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			js := `(async () => {
				const { createApi } = await import("/assets/api.js");
				const tokens = ` + tt.tokens + `;
				let calls = 0, ended = 0;
				const auth = { token: async () => tokens[Math.min(calls++, tokens.length - 1)], refresh: async () => false };
				const api = createApi({ baseUrl: "", businessId: "b", auth, onUnauthenticated: () => { ended++; } });
				let status = 0;
				try { await api.listTabs(); } catch (e) { status = e.status; }
				return JSON.stringify({ ended, status });
			})()`
			out := awaitJS(t, p, js)
			var got struct {
				Ended  int `json:"ended"`
				Status int `json:"status"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("result %s: %v", out, err)
			}
			if got.Status != http.StatusUnauthorized {
				t.Errorf("the caller got status %d, want 401", got.Status)
			}
			if ended := got.Ended > 0; ended != tt.wantEnded || got.Ended > 1 {
				t.Errorf("onUnauthenticated called %d times, want the session ended: %t", got.Ended, tt.wantEnded)
			}
		})
	}
}
