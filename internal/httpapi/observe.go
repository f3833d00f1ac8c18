package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

// Metrics receives one observation per answered request: the operation,
// the HTTP status, the error code ("" on success) and the latency.
// internal/metrics's Recorder writes them as CloudWatch metrics.
type Metrics interface {
	Request(operation string, status int, code string, latency time.Duration)
}

// WithMetrics makes the API report every request to m.
func WithMetrics(m Metrics) Option {
	return func(a *API) { a.metrics = m }
}

// RequestIDs sets how the API makes up a request id for a request that
// arrives without one (the local stack; in AWS, API Gateway gives each
// request its id). The default is 16 random hex digits.
func RequestIDs(newID func() string) Option {
	return func(a *API) {
		if newID != nil {
			a.newID = newID
		}
	}
}

// Clock sets what the API measures latency with; the default is the
// system's monotonic clock (time.Now).
func Clock(now func() time.Time) Option {
	return func(a *API) {
		if now != nil {
			a.now = now
		}
	}
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type lambdaRequestIDKey struct{}

// WithLambdaRequestID returns a context carrying the id Lambda gave the
// invocation serving the request, which its platform log lines (REPORT,
// with duration and memory) carry: the request's log line names it too.
func WithLambdaRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, lambdaRequestIDKey{}, id)
}

// requestInfo is what the request's log line says beyond what wrap knows
// from the route: filled in while the request is served.
type requestInfo struct {
	id     string
	caller string // the normalised caller email, to recognise their user; never logged

	mu       sync.Mutex
	callerID string
	code     team.Code
	err      error // a server error's cause, logged with the line
	// entryErr is the first server error of an entry of invite several,
	// whose request answers 200 with the entry's 500 in its body.
	entryErr error
}

type requestInfoKey struct{}

func infoOf(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// NoteUser tells the request being served in ctx that the service read u.
// When u is the caller's own user, the request's log line names the caller
// by u's id: the line must say who called without their email, and the
// API knows the caller only by the email claim. The composition root
// (internal/lambdaenv) wraps the store so that every read of a user is
// noted; outside a request it does nothing.
func NoteUser(ctx context.Context, u team.User) {
	info := infoOf(ctx)
	if info == nil || u.ID == "" {
		return
	}
	info.mu.Lock()
	defer info.mu.Unlock()
	if info.caller != "" && u.Email == info.caller {
		info.callerID = u.ID
	}
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe serves a request with serve and then writes its one log line and
// its metrics: request id, operation, business id, status, error code,
// latency and the caller's user id, never an email address (SPEC §7). A
// server error is logged on that line, at error level, with its cause; any
// other answer at info level.
func (a *API) observe(w http.ResponseWriter, r *http.Request, route Route, serve func(http.ResponseWriter, *http.Request)) {
	start := a.now()
	id, _ := r.Context().Value(requestIDKey{}).(string)
	if id == "" {
		id = a.newID()
		r = r.WithContext(WithRequestID(r.Context(), id))
	}
	info := &requestInfo{id: id}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
	sw := &statusWriter{ResponseWriter: w}
	serve(sw, r)
	latency := a.now().Sub(start)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}

	info.mu.Lock()
	callerID, code, cause, entryErr := info.callerID, info.code, info.err, info.entryErr
	info.mu.Unlock()
	attrs := []slog.Attr{
		slog.String("requestId", info.id),
		slog.String("operation", route.Operation),
		slog.Int("status", sw.status),
		slog.Float64("latencyMs", float64(latency)/float64(time.Millisecond)),
	}
	if lambdaID, _ := r.Context().Value(lambdaRequestIDKey{}).(string); lambdaID != "" {
		attrs = append(attrs, slog.String("lambdaRequestId", lambdaID))
	}
	// Only a well-formed business id is logged: the path segment is the
	// client's to fill, and could hold anything, an address included.
	if biz, err := team.ParseBusinessID(r.PathValue("businessId")); err == nil {
		attrs = append(attrs, slog.String("businessId", biz.String()))
	}
	if callerID != "" {
		attrs = append(attrs, slog.String("userId", callerID))
	}
	if code != "" {
		attrs = append(attrs, slog.String("code", string(code)))
	}
	level := slog.LevelInfo
	switch {
	case sw.status >= 500:
		level = slog.LevelError
		if cause != nil {
			attrs = append(attrs, slog.Any("error", cause))
		}
	case entryErr != nil:
		// Invite several answered 200, but an entry failed on the
		// server: logged as a server error is, once, with its cause.
		level = slog.LevelError
		attrs = append(attrs, slog.Any("error", entryErr))
	}
	a.log.LogAttrs(r.Context(), level, "request", attrs...)
	if a.metrics != nil {
		a.metrics.Request(route.Operation, sw.status, string(code), latency)
	}
}
