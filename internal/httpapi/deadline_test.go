package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// stalledService never answers before its context ends, as a service over
// a database that does not answer, and then fails with the context's error
// the way a store wraps it.
type stalledService struct{ failingService }

func (stalledService) ListTabs(ctx context.Context, _ string, _ team.BusinessID) ([]team.Tab, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("dynamo: business: %w", ctx.Err())
}

// TestEveryRequestHasADeadline (I11): a request whose service does not
// answer gets 503 unavailable with Retry-After at its deadline, in JSON.
func TestEveryRequestHasADeadline(t *testing.T) {
	const timeout = 150 * time.Millisecond
	h := httpapi.New(stalledService{}, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.RequestTimeout(timeout)).Mux()
	req := httptest.NewRequest(http.MethodGet, acmeTabsPath, nil)
	req = req.WithContext(httpapi.WithCaller(req.Context(), acmeOwner))
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	took := time.Since(start)
	assertError(t, rec, http.StatusServiceUnavailable, "unavailable")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if took < timeout || took > timeout+250*time.Millisecond {
		t.Errorf("answered after %s, want at its deadline %s", took, timeout)
	}
}
