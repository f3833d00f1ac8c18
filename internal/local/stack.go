package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/provisioning"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/sesmail"
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
	// EmailClaim names the token claim that holds the caller's email, as
	// the deployment parameter of the same name does in AWS ("" for
	// "email"); the local authorizer issues and reads it.
	EmailClaim string
	// RequestTimeout is every API request's deadline (0 for the default,
	// 5 s), as REQUEST_TIMEOUT sets it for the Lambdas.
	RequestTimeout time.Duration
	// InviteRate is each business's budget of welcome and notice emails in
	// any rolling hour (0 for the default, 100), as INVITE_RATE sets it
	// for the Lambdas.
	InviteRate int
	// InvitationTTL is how long an invitation admits its invitee (0 for
	// the default, 14 days), as INVITATION_TTL sets it for the Lambdas.
	InvitationTTL time.Duration
	// StreamRetryAttempts is how often the local event source mapping
	// retries a failing batch before giving its records up to the
	// on-failure path (0 for the default, which retries for hours as the
	// template's mapping does). Redelivery's test sets a few.
	StreamRetryAttempts int
	// StreamBatchSize and StreamParallelizationFactor override the local
	// event source mapping's batch size and parallelization factor (0 for
	// template.yaml's); the throughput benchmark compares settings with them.
	StreamBatchSize, StreamParallelizationFactor int
	// WrapSES, when set, wraps the SES client the stream consumer sends
	// with: tests make SES refuse for a while with it.
	WrapSES func(sesmail.Client) sesmail.Client
	// Log receives the stack's logs; Console receives what a person reads.
	Log     *slog.Logger
	Console io.Writer
	// Metrics receives the API's and the consumer's metrics in CloudWatch
	// embedded metric format, as the Lambdas write them to stdout (nil:
	// none).
	Metrics io.Writer
}

// DemoBusiness and DemoOwner are seeded on every start (SPEC §6).
const (
	DemoBusiness = "demo"
	DemoOwner    = "owner@demo.test"
)

// Stack is a running local stack.
type Stack struct {
	// URL is the base URL the server answers on.
	URL string
	// DynamoDBEndpoint is the DynamoDB Local the stack uses and TableName
	// its table.
	DynamoDBEndpoint, TableName string
	server                      *http.Server
	done                        chan error
	ddb                         *dynamodblocal.Process
	emulators                   *emulators
	commits                     *commitClock
	poller                      chan struct{} // closed when the stream poller has stopped
	stopPolling                 context.CancelFunc
	stopOnce                    sync.Once
}

// Start brings the stack up: the listener (so a busy port fails before
// anything else starts), the database and its table, the emulators, the seed
// data, the stream's delivery, then the HTTP server. Cancelling ctx stops
// everything Start started.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	s := &Stack{URL: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	handler, err := s.start(ctx, cfg)
	if err != nil {
		ln.Close()
		s.stopBackground()
		return nil, err
	}
	s.server = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: serverMaxHeaderBytes}
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

// start starts everything behind the HTTP server and returns its handler.
func (s *Stack) start(ctx context.Context, cfg Config) (http.Handler, error) {
	endpoint := cfg.DynamoDBEndpoint
	if endpoint == "" {
		jarDir, err := dynamodblocal.FindJarDir(cfg.RepoDir)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(cfg.Console, "Starting DynamoDB Local (in memory)…")
		if s.ddb, err = dynamodblocal.Start(ctx, jarDir, io.Discard); err != nil {
			return nil, err
		}
		endpoint = s.ddb.Endpoint
	}
	s.DynamoDBEndpoint, s.TableName = endpoint, cfg.TableName
	// Every client that commits activity (the API's, provisioning's and
	// the seed's) notes when it did, for GET /dev/events' committedAt.
	s.commits = newCommitClock()
	client := dynamodblocal.NewClient(endpoint, s.commits.Install)
	if _, err := dynamo.EnsureTable(ctx, client, cfg.TableName); err != nil {
		return nil, err
	}
	store := dynamo.NewStore(client, cfg.TableName)
	var err error
	if s.emulators, err = startEmulators(ctx); err != nil {
		return nil, err
	}
	clock := team.SystemClock{}
	auth := NewAuthorizer(clock, cfg.EmailClaim)
	// The provisioning Lambda's handler, over the same table: POST
	// /dev/platform-events and /dev/businesses go through it.
	platform, err := provisioning.NewHandler(lambdaenv.ProvisionSettings{TableName: cfg.TableName, InvitationTTL: cfg.InvitationTTL}, client, cfg.Log)
	if err != nil {
		return nil, err
	}
	dev := &devAPI{auth: auth, creator: store, platform: platform, dir: store, source: provision.DefaultSource, clock: clock, ids: team.ULIDSource{}}
	if err := seed(ctx, dev); err != nil {
		return nil, err
	}
	metricsOut := cfg.Metrics
	if metricsOut == nil {
		metricsOut = io.Discard
	}
	rec, err := lambdaenv.NewMetrics(metricsOut, "", cfg.Log)
	if err != nil {
		return nil, err
	}
	consumer, err := s.newConsumer(cfg, endpoint, rec)
	if err != nil {
		return nil, err
	}
	pollCtx, stopPolling := context.WithCancel(context.Background())
	s.stopPolling, s.poller = stopPolling, make(chan struct{})
	go func() {
		defer close(s.poller)
		s.runDelivery(pollCtx, cfg, endpoint, consumer)
	}()

	// The same composition root as the route functions: the local stack
	// serves every route, so it passes the phone parser.
	// The API's client has the Lambdas' bounded retries and timeouts (the
	// setup above keeps the SDK's defaults: creating a table may be slow).
	settings := lambdaenv.RouteSettings{TableName: cfg.TableName, EmailClaim: cfg.EmailClaim, RequestTimeout: cfg.RequestTimeout,
		InviteRate: cfg.InviteRate, InvitationTTL: cfg.InvitationTTL}
	apiClient := dynamodblocal.NewClient(endpoint, lambdaenv.DynamoDBOptions(cfg.RequestTimeout), s.commits.Install)
	api, err := lambdaenv.NewAPI(apiClient, settings, cfg.Log, phone.Normalizer{}, httpapi.WithMetrics(rec))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", auth.Middleware(api.Mux()))
	mux.HandleFunc("POST /dev/token", dev.token)
	mux.HandleFunc("POST /dev/businesses", dev.businesses)
	mux.HandleFunc("POST /dev/platform-events", dev.platformEvents)
	mux.HandleFunc("GET /dev/emails", s.listEmails)
	mux.HandleFunc("GET /dev/events", s.listEvents)
	if err := handleWebPage(mux); err != nil {
		return nil, err
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Business App User Management (local stack)\n\nWeb page: %[1]s/%[2]s/administration/users\nAPI: %[1]s/v1/businesses/%[2]s/users (see README.md)\nToken: POST %s/dev/token {\"email\":\"%s\"}\nWelcome emails: %s/dev/emails\nEvents: %s/dev/events\n",
			s.URL, DemoBusiness, s.URL, DemoOwner, s.URL, s.URL)
	})
	return edge(mux), nil
}

func seed(ctx context.Context, dev *devAPI) error {
	spec := BusinessSpec{ID: DemoBusiness, Name: "Demo Business"}
	for _, t := range team.Catalogue() {
		spec.Tabs = append(spec.Tabs, string(t.ID))
	}
	spec.Owner.Email, spec.Owner.FirstName, spec.Owner.LastName = DemoOwner, "Demo", "Owner"
	err := dev.createBusiness(ctx, spec)
	if errors.Is(err, team.ErrBusinessExists) {
		return nil // seeded on an earlier start against the same database
	}
	if err != nil {
		return fmt.Errorf("seed demo business: %w", err)
	}
	return nil
}

// Wait blocks until the server stops and returns why.
func (s *Stack) Wait() error { return <-s.done }

// Stop shuts the server down gracefully, then what runs behind it.
func (s *Stack) Stop() {
	s.stopOnce.Do(func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.server.Shutdown(shutdown)
		s.stopBackground()
	})
}

// stopBackground stops delivery, the emulators and the database, in that
// order, so nothing is left polling a stopped database.
func (s *Stack) stopBackground() {
	if s.stopPolling != nil {
		s.stopPolling()
		<-s.poller
	}
	if s.emulators != nil {
		s.emulators.close()
	}
	if s.ddb != nil {
		s.ddb.Stop()
	}
}
