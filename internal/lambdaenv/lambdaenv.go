// Package lambdaenv is the composition root: the one place the API and the
// stream consumer are built from their parts, and the one place deployed
// code reads environment variables. The functions under functions/, the
// local stack (internal/local), the benchmarks and the tests all build the
// API through NewAPI and the consumer through the subpackage stream, so
// SPEC §6's "the same handler code" holds by construction.
//
// It is split in two so that each function links only what it uses: this
// package builds the API and imports neither the SES nor the EventBridge
// SDK; lambdaenv/stream builds the consumer. Neither imports internal/phone:
// the generated main.go of an operation that parses phone numbers passes
// it in, so only those functions link the phone library.
//
// Each half has two layers: RouteHandler and stream.Handler read the
// environment and make AWS clients from the function's role and region;
// NewRouteHandler and stream.NewHandler wire the handler from settings and
// clients given to them. Tests call the second layer with clients for
// DynamoDB Local and kumo, so they run exactly the wiring Lambda runs.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/emf"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/logging"
	"github.com/businessapp/usermanagement/internal/metrics"
	"github.com/businessapp/usermanagement/internal/team"
)

// Environment variables the functions read; template.yaml sets them.
const (
	EnvTableName = "TABLE_NAME"
	// EnvEmailClaim names the token claim that holds the caller's email
	// (the template's EmailClaim parameter; default "email").
	EnvEmailClaim = "EMAIL_CLAIM"
	// EnvRequestTimeout is every request's deadline, a Go duration
	// (default 5s); template.yaml keeps it below the function's Timeout.
	EnvRequestTimeout = "REQUEST_TIMEOUT"
	// EnvInviteRate is how many welcome and notice emails a business may
	// send in any rolling hour (SPEC §4; default team.DefaultEmailBudget).
	// template.yaml sets it from the InviteRate parameter; tests, make
	// load and the benchmarks set their own.
	EnvInviteRate = "INVITE_RATE"
	// EnvInvitationTTL is how long an invitation admits its invitee, as a
	// Go duration ("336h"); unset: team.DefaultInvitationTTL.
	EnvInvitationTTL = "INVITATION_TTL"
	// The stream consumer's settings.
	EnvEventBusName = "EVENT_BUS_NAME" // empty: the default bus
	EnvSenderEmail  = "SENDER_EMAIL"   // the verified SES identity mail comes from
	EnvAppBaseURL   = "APP_BASE_URL"   // where welcome emails send invitees
	// EnvSesConfigurationSet names the SES configuration set welcome
	// emails are sent with (the template's SesConfigurationSet); empty
	// for none.
	EnvSesConfigurationSet = "SES_CONFIGURATION_SET"
	// EnvMetricsNamespace is the CloudWatch namespace of the service's
	// own metrics (the template's MetricsNamespace; default
	// metrics.DefaultNamespace). Every function reads it.
	EnvMetricsNamespace = "METRICS_NAMESPACE"
)

// Environment variables Lambda itself sets for every function (its
// reserved variables, which a template may not set): the region and the
// credentials of the function's role.
const (
	EnvRegion          = "AWS_REGION"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
)

// Endpoint overrides, honoured as the AWS SDK's own configuration honours
// them (the service's variable first, then the general one). template.yaml
// never sets them; they are how the packaging tests point the built
// functions at DynamoDB Local and kumo.
const (
	EnvEndpoint            = "AWS_ENDPOINT_URL"
	EnvEndpointDynamoDB    = "AWS_ENDPOINT_URL_DYNAMODB"
	EnvEndpointSES         = "AWS_ENDPOINT_URL_SESV2"
	EnvEndpointEventBridge = "AWS_ENDPOINT_URL_EVENTBRIDGE"
)

// HTTPHandler is the Lambda handler of a route: API Gateway HTTP API events
// (payload format 2.0) in and out.
type HTTPHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Logger returns the JSON logger every function writes to (Lambda sends
// stdout to CloudWatch Logs), at info level, with email addresses and
// phone numbers redacted from whatever it writes (internal/logging).
func Logger() *slog.Logger {
	return logging.New(os.Stdout, slog.LevelInfo)
}

// NewMetrics returns the recorder of the service's metrics in namespace
// ("" for metrics.DefaultNamespace), writing them in CloudWatch embedded
// metric format to w (stdout in Lambda, where CloudWatch Logs extracts
// them) and logging to log what it could not write.
func NewMetrics(w io.Writer, namespace string, log *slog.Logger) (*metrics.Recorder, error) {
	if namespace == "" {
		namespace = metrics.DefaultNamespace
	}
	ew, err := emf.New(w, namespace, time.Now)
	if err != nil {
		return nil, fmt.Errorf("lambdaenv: %s: %w", EnvMetricsNamespace, err)
	}
	return metrics.New(ew, log), nil
}

// metricsNamespace reads METRICS_NAMESPACE, with its default.
func metricsNamespace() string {
	if v := os.Getenv(EnvMetricsNamespace); v != "" {
		return v
	}
	return metrics.DefaultNamespace
}

// RouteSettings configure the route functions, and the local stack, which
// serves the same routes.
type RouteSettings struct {
	TableName string
	// EmailClaim names the token claim that holds the caller's email.
	EmailClaim string
	// RequestTimeout is every request's deadline (invariant I11); the
	// DynamoDB client's retries fit inside it (DynamoDBOptions).
	RequestTimeout time.Duration
	// InviteRate is each business's budget of welcome and notice emails
	// in any rolling hour (invariant I10); 0 means
	// team.DefaultEmailBudget.
	InviteRate int
	// InvitationTTL is how long an invitation admits its invitee (0 for
	// team.DefaultInvitationTTL).
	InvitationTTL time.Duration
	// MetricsNamespace is the CloudWatch namespace of the API's metrics
	// ("" for metrics.DefaultNamespace).
	MetricsNamespace string
}

// MaxInviteRate bounds INVITE_RATE: the budget's slots live in eight
// items of the business's partition (internal/dynamo/rate.go), and an
// hour of this many sends keeps each well below DynamoDB's 400 KB item
// limit. It is also what the benchmarks and make load use, so that they
// are never throttled.
const MaxInviteRate = 100_000

// RouteSettingsFromEnv reads the route functions' settings, with their
// defaults. TableName is empty when TABLE_NAME is unset: the functions
// refuse that (RouteHandler), the local stack names its own table.
func RouteSettingsFromEnv() (RouteSettings, error) {
	s := RouteSettings{TableName: os.Getenv(EnvTableName), EmailClaim: os.Getenv(EnvEmailClaim), RequestTimeout: httpapi.DefaultRequestTimeout,
		MetricsNamespace: metricsNamespace()}
	if s.EmailClaim == "" {
		s.EmailClaim = httpapi.DefaultEmailClaim
	}
	if v := os.Getenv(EnvRequestTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return RouteSettings{}, fmt.Errorf("lambdaenv: %s=%q is not a positive Go duration such as 5s", EnvRequestTimeout, v)
		}
		s.RequestTimeout = d
	}
	if v := os.Getenv(EnvInviteRate); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxInviteRate {
			return RouteSettings{}, fmt.Errorf("lambdaenv: %s=%q is not a whole number of emails per hour from 1 to %d", EnvInviteRate, v, MaxInviteRate)
		}
		s.InviteRate = n
	}
	// A value that is not a positive duration fails the function's init
	// rather than silently using the default.
	if v := os.Getenv(EnvInvitationTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return RouteSettings{}, fmt.Errorf("lambdaenv: %s=%q is not a positive Go duration such as 336h", EnvInvitationTTL, v)
		}
		s.InvitationTTL = d
	}
	return s, nil
}

// RouteHandler returns the Lambda handler of one operation of the route
// table, with the settings of the environment (RouteSettingsFromEnv) and
// the AWS configuration of the function's role and region. phones is nil
// unless the route parses phone numbers (httpapi.Route.ParsesPhones).
func RouteHandler(ctx context.Context, operation string, phones team.PhoneNormalizer) (HTTPHandler, error) {
	settings, err := RouteSettingsFromEnv()
	if err != nil {
		return nil, err
	}
	if settings.TableName == "" {
		return nil, fmt.Errorf("lambdaenv: %s is not set", EnvTableName)
	}
	cfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	log := Logger()
	m, err := NewMetrics(os.Stdout, settings.MetricsNamespace, log)
	if err != nil {
		return nil, err
	}
	return NewRouteHandler(DynamoDB(cfg, DynamoDBOptions(settings.RequestTimeout)), settings, log, operation, phones, httpapi.WithMetrics(m))
}

// NewRouteHandler returns the Lambda handler of one operation of the route
// table, over settings.TableName through db, logging each request to log,
// with opts (metrics, for one) given to the API. It refuses an operation
// that parses phone numbers when phones is nil, so that a mis-wired
// function fails its init rather than its requests.
func NewRouteHandler(db dynamo.Client, settings RouteSettings, log *slog.Logger, operation string, phones team.PhoneNormalizer, opts ...httpapi.Option) (HTTPHandler, error) {
	route, ok := httpapi.RouteOf(operation)
	if !ok {
		return nil, fmt.Errorf("lambdaenv: no operation %q", operation)
	}
	if route.ParsesPhones && phones == nil {
		return nil, fmt.Errorf("lambdaenv: %s parses phone numbers, but no PhoneNormalizer was given", operation)
	}
	api, err := NewAPI(db, settings, log, phones, opts...)
	if err != nil {
		return nil, err
	}
	h, err := api.Handler(operation)
	if err != nil {
		return nil, err
	}
	return gateway.Handler(h, settings.EmailClaim), nil
}

// NewAPI returns the API over settings.TableName through db, with every
// request bounded by settings.RequestTimeout, logging each request to log,
// with the system clock and ULIDs, and opts on top. phones may be nil only
// where no operation that parses phone numbers is served (see
// NewRouteHandler); the local stack, serving every route, passes
// internal/phone's.
func NewAPI(db dynamo.Client, settings RouteSettings, log *slog.Logger, phones team.PhoneNormalizer, opts ...httpapi.Option) (*httpapi.API, error) {
	if settings.TableName == "" {
		return nil, errors.New("lambdaenv: no table name")
	}
	teamOpts := []team.Option{team.WithEmailBudget(settings.InviteRate)}
	if settings.InvitationTTL > 0 {
		teamOpts = append(teamOpts, team.WithInvitationTTL(settings.InvitationTTL))
	}
	svc := team.NewService(notingStore{dynamo.NewStore(db, settings.TableName)}, team.SystemClock{}, team.ULIDSource{}, phones, teamOpts...)
	return httpapi.New(svc, log, append([]httpapi.Option{httpapi.RequestTimeout(settings.RequestTimeout)}, opts...)...), nil
}

// notingStore tells the request being served about every user the service
// reads (httpapi.NoteUser), so that the request's log line can name the
// caller by user id: the service reads the caller's user on every request
// to authorise it (Member), and the API knows the caller only by email.
type notingStore struct{ team.Store }

var _ team.Store = notingStore{}

// User reads a user through the store and notes it. Errors: the store's.
func (s notingStore) User(ctx context.Context, businessID team.BusinessID, email string) (team.User, error) {
	u, err := s.Store.User(ctx, businessID, email)
	if err == nil {
		httpapi.NoteUser(ctx, u)
	}
	return u, err
}

// Member reads a user with the business, as the service reads its
// caller, and notes it. Errors: the store's.
func (s notingStore) Member(ctx context.Context, businessID team.BusinessID, email string) (team.User, error) {
	u, err := s.Store.Member(ctx, businessID, email)
	if err == nil {
		httpapi.NoteUser(ctx, u)
	}
	return u, err
}

// DynamoDBOptions bound the DynamoDB client's waiting so that its retries
// fit inside a request's deadline (invariant I11): at most 3 attempts with
// at most 100 ms of backoff between them, connections dialled within 1 s
// and an attempt's response awaited at most a third of the deadline, so a
// stalled connection is given up while a retry on a fresh one still has
// time. The request's context ends whatever is left at the deadline.
func DynamoDBOptions(requestTimeout time.Duration) func(*dynamodb.Options) {
	if requestTimeout <= 0 {
		requestTimeout = httpapi.DefaultRequestTimeout
	}
	return func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.MaxBackoff = 100 * time.Millisecond
		})
		// The SDK's own dialer with a shorter connect timeout, set in the
		// same WithTransportOptions as the rest: each of the client's With
		// methods clones its transport, and a clone first sets up HTTP/2
		// on the transport it copies, work every start did three times
		// with WithDialerOptions before WithTransportOptions.
		dialer := awshttp.NewBuildableClient().GetDialer()
		dialer.Timeout = time.Second
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.DialContext = dialer.DialContext
			t.TLSHandshakeTimeout = time.Second
			t.ResponseHeaderTimeout = requestTimeout / 3
		})
	}
}

// StreamSettings configure the stream consumer (internal/lambdaenv/stream).
type StreamSettings struct {
	TableName string
	// EventBusName is the bus user events go on; empty is the default bus.
	EventBusName string
	// SenderEmail is the address welcome emails come from.
	SenderEmail string
	// AppBaseURL is where welcome emails send invitees
	// (AppBaseURL/<businessId>).
	AppBaseURL string
	// SesConfigurationSet is the SES configuration set emails are sent
	// with; empty for none.
	SesConfigurationSet string
	// MetricsNamespace is the CloudWatch namespace of the consumer's
	// metrics ("" for metrics.DefaultNamespace).
	MetricsNamespace string
}

// StreamSettingsFromEnv reads the stream consumer's settings. They are read
// here rather than in lambdaenv/stream so that this package stays the one
// place deployed code reads the environment.
func StreamSettingsFromEnv() (StreamSettings, error) {
	s := StreamSettings{
		TableName:    os.Getenv(EnvTableName),
		EventBusName: os.Getenv(EnvEventBusName),
		SenderEmail:  os.Getenv(EnvSenderEmail),
		AppBaseURL:   os.Getenv(EnvAppBaseURL),

		SesConfigurationSet: os.Getenv(EnvSesConfigurationSet),
		MetricsNamespace:    metricsNamespace(),
	}
	for _, v := range []struct{ name, value string }{{EnvTableName, s.TableName}, {EnvSenderEmail, s.SenderEmail}, {EnvAppBaseURL, s.AppBaseURL}} {
		if v.value == "" {
			return StreamSettings{}, fmt.Errorf("lambdaenv: %s is not set", v.name)
		}
	}
	return s, nil
}

// EnvPlatformEventSource is the source of the platform's business events
// the provisioning function accepts (template.yaml's PlatformEventSource;
// unset: provision.DefaultSource).
const EnvPlatformEventSource = "PLATFORM_EVENT_SOURCE"

// ProvisionSettings configure the provisioning function
// (internal/lambdaenv/provisioning).
type ProvisionSettings struct {
	TableName string
	// Source is the source the platform's events carry ("" for
	// provision.DefaultSource).
	Source string
	// InvitationTTL is how long the owner's invitation admits them (0 for
	// team.DefaultInvitationTTL).
	InvitationTTL time.Duration
}

// TableNameFromEnv returns TABLE_NAME, the table an operator's command
// works on when no flag names one ("" when unset).
func TableNameFromEnv() string { return os.Getenv(EnvTableName) }

// ProvisionSettingsFromEnv reads the provisioning function's settings.
func ProvisionSettingsFromEnv() (ProvisionSettings, error) {
	s := ProvisionSettings{TableName: os.Getenv(EnvTableName), Source: os.Getenv(EnvPlatformEventSource)}
	if s.TableName == "" {
		return ProvisionSettings{}, fmt.Errorf("lambdaenv: %s is not set", EnvTableName)
	}
	if v := os.Getenv(EnvInvitationTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return ProvisionSettings{}, fmt.Errorf("lambdaenv: %s=%q is not a positive Go duration", EnvInvitationTTL, v)
		}
		s.InvitationTTL = d
	}
	return s, nil
}

// AWSConfig returns the AWS configuration Lambda gives the function: its
// region and its role's credentials, from the variables Lambda sets. It
// reads them itself rather than through the SDK's config.LoadDefaultConfig:
// that chain of shared files, SSO, STS and instance metadata is never used
// in Lambda, yet linking it cost every function about 2 MB and the init of
// four more service clients on every cold start (docs/PERFORMANCE.md).
// Lambda's credentials are static for the life of the execution
// environment, as the SDK's own environment provider treats them.
func AWSConfig(context.Context) (aws.Config, error) {
	region := os.Getenv(EnvRegion)
	id, secret := os.Getenv(EnvAccessKeyID), os.Getenv(EnvSecretAccessKey)
	if region == "" || id == "" || secret == "" {
		return aws.Config{}, fmt.Errorf("lambdaenv: %s, %s and %s must be set, as Lambda sets them", EnvRegion, EnvAccessKeyID, EnvSecretAccessKey)
	}
	creds := credentials.NewStaticCredentialsProvider(id, secret, os.Getenv(EnvSessionToken))
	return aws.Config{Region: region, Credentials: aws.NewCredentialsCache(creds)}, nil
}

// DynamoDB returns the DynamoDB client of the function, at the endpoint
// AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL names, if any.
func DynamoDB(cfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	optFns = append([]func(*dynamodb.Options){func(o *dynamodb.Options) { o.BaseEndpoint = endpoint(os.Getenv(EnvEndpointDynamoDB)) }}, optFns...)
	return dynamodb.NewFromConfig(cfg, optFns...)
}

// SESEndpoint returns the endpoint AWS_ENDPOINT_URL_SESV2 or
// AWS_ENDPOINT_URL names for SES, or nil for SES's own.
func SESEndpoint() *string { return endpoint(os.Getenv(EnvEndpointSES)) }

// EventBridgeEndpoint returns the endpoint AWS_ENDPOINT_URL_EVENTBRIDGE or
// AWS_ENDPOINT_URL names for EventBridge, or nil for EventBridge's own.
func EventBridgeEndpoint() *string { return endpoint(os.Getenv(EnvEndpointEventBridge)) }

// endpoint returns the service's own override, else the general one, else
// nil (the service's real endpoint).
func endpoint(service string) *string {
	if service != "" {
		return &service
	}
	if general := os.Getenv(EnvEndpoint); general != "" {
		return &general
	}
	return nil
}

// Fail logs why a function could not start and exits, so that Lambda
// reports a failed init instead of the function serving errors.
func Fail(err error) {
	Logger().Error("function init failed", slog.Any("error", err))
	os.Exit(1)
}
