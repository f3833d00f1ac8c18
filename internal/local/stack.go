package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Config configures the local stack.
type Config struct {
	// Addr is where the HTTP server listens, such as 127.0.0.1:8080.
	Addr string
	// DynamoDBEndpoint, when set, is a DynamoDB (Local) the user runs; the
	// stack creates its table there if missing. When empty the stack starts
	// its own in-memory DynamoDB Local and stops it on exit.
	DynamoDBEndpoint string
	// TableName is the table to use.
	TableName string
	// RepoDir is where to look for the pinned DynamoDB Local package.
	RepoDir string
	// Log receives the stack's logs; Console receives what a person reads.
	Log     *slog.Logger
	Console io.Writer
}

// DemoBusiness and DemoOwner are seeded on every start (SPEC §6).
const (
	DemoBusiness = "demo"
	DemoOwner    = "owner@demo.test"
)

// Stack is a running local stack.
type Stack struct {
	// URL is the base URL the server answers on.
	URL    string
	server *http.Server
	done   chan error
	ddb    *dynamodblocal.Process
}

// Start brings the stack up: the database, the table, the seed data, then
// the HTTP server. Cancelling ctx stops everything Start started.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	s := &Stack{done: make(chan error, 1)}
	endpoint := cfg.DynamoDBEndpoint
	if endpoint == "" {
		jarDir, err := dynamodblocal.FindJarDir(cfg.RepoDir)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(cfg.Console, "Starting DynamoDB Local (in memory)…")
		s.ddb, err = dynamodblocal.Start(ctx, jarDir, io.Discard)
		if err != nil {
			return nil, err
		}
		endpoint = s.ddb.Endpoint
	}
	client := dynamodblocal.NewClient(endpoint)
	if _, err := dynamo.EnsureTable(ctx, client, cfg.TableName); err != nil {
		s.stopDatabase()
		return nil, err
	}
	store := dynamo.NewStore(client, cfg.TableName)
	clock := team.SystemClock{}
	auth := NewAuthorizer(clock)
	dev := &devAPI{auth: auth, creator: store, clock: clock}
	if err := seed(ctx, dev); err != nil {
		s.stopDatabase()
		return nil, err
	}

	api := httpapi.New(team.NewService(store, clock, team.ULIDSource{}), cfg.Log)
	mux := http.NewServeMux()
	mux.Handle("/v1/", auth.Middleware(api.Mux()))
	mux.HandleFunc("POST /dev/token", dev.token)
	mux.HandleFunc("POST /dev/businesses", dev.businesses)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Business App User Management (local stack)\n\nAPI: %s/v1/businesses/%s/users (see README.md)\nToken: POST %s/dev/token {\"email\":\"%s\"}\n",
			s.URL, DemoBusiness, s.URL, DemoOwner)
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		s.stopDatabase()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s.URL = "http://" + ln.Addr().String()
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := s.server.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	go func() {
		<-ctx.Done()
		s.Stop()
	}()
	return s, nil
}

func seed(ctx context.Context, dev *devAPI) error {
	spec := BusinessSpec{ID: DemoBusiness, Name: "Demo Business"}
	for _, t := range team.Catalogue() {
		spec.Tabs = append(spec.Tabs, string(t.ID))
	}
	spec.Owner.Email, spec.Owner.FirstName, spec.Owner.LastName = DemoOwner, "Demo", "Owner"
	_, _, err := dev.createBusiness(ctx, spec)
	if team.ErrorCode(err) == team.CodeBusinessExists {
		return nil // seeded on an earlier start against the same database
	}
	if err != nil {
		return fmt.Errorf("seed demo business: %w", err)
	}
	return nil
}

// Wait blocks until the server stops and returns why.
func (s *Stack) Wait() error { return <-s.done }

// Stop shuts the server down gracefully, then the database it started.
func (s *Stack) Stop() {
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.server.Shutdown(shutdown)
	s.stopDatabase()
}

func (s *Stack) stopDatabase() {
	if s.ddb != nil {
		s.ddb.Stop()
	}
}
