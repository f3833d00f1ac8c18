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
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Environment variables the functions read; template.yaml sets them.
const (
	EnvTableName = "TABLE_NAME"
	// EnvInvitationTTL is how long an invitation admits its invitee, as a
	// Go duration ("336h"); unset: team.DefaultInvitationTTL.
	EnvInvitationTTL = "INVITATION_TTL"
	// The stream consumer's settings.
	EnvEventBusName = "EVENT_BUS_NAME" // empty: the default bus
	EnvSenderEmail  = "SENDER_EMAIL"   // the verified SES identity mail comes from
	EnvAppBaseURL   = "APP_BASE_URL"   // where welcome emails send invitees
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
// stdout to CloudWatch Logs).
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

// RouteHandler returns the Lambda handler of one operation of the route
// table, over the table named by TABLE_NAME, with the AWS configuration of
// the function's role and region. phones is nil unless the route parses
// phone numbers (httpapi.Route.ParsesPhones).
func RouteHandler(ctx context.Context, operation string, phones team.PhoneNormalizer) (HTTPHandler, error) {
	table := os.Getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("lambdaenv: %s is not set", EnvTableName)
	}
	cfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	opts, err := ServiceOptions()
	if err != nil {
		return nil, err
	}
	return NewRouteHandler(DynamoDB(cfg), table, Logger(), operation, phones, opts...)
}

// ServiceOptions returns the domain's settings from the environment
// (INVITATION_TTL), for the functions and the local stack alike. Errors: a
// value that is not a positive Go duration, so that a typo fails the
// function's init instead of silently using the default.
func ServiceOptions() ([]team.Option, error) {
	var opts []team.Option
	if v := os.Getenv(EnvInvitationTTL); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("lambdaenv: %s=%q is not a positive Go duration such as 336h", EnvInvitationTTL, v)
		}
		opts = append(opts, team.WithInvitationTTL(d))
	}
	return opts, nil
}

// NewRouteHandler returns the Lambda handler of one operation of the route
// table, over table through db, logging server errors to log. It refuses an
// operation that parses phone numbers when phones is nil, so that a
// mis-wired function fails its init rather than its requests.
func NewRouteHandler(db dynamo.Client, table string, log *slog.Logger, operation string, phones team.PhoneNormalizer, opts ...team.Option) (HTTPHandler, error) {
	route, ok := httpapi.RouteOf(operation)
	if !ok {
		return nil, fmt.Errorf("lambdaenv: no operation %q", operation)
	}
	if route.ParsesPhones && phones == nil {
		return nil, fmt.Errorf("lambdaenv: %s parses phone numbers, but no PhoneNormalizer was given", operation)
	}
	api, err := NewAPI(db, table, log, phones, opts...)
	if err != nil {
		return nil, err
	}
	h, err := api.Handler(operation)
	if err != nil {
		return nil, err
	}
	return gateway.Handler(h), nil
}

// NewAPI returns the API over table through db, logging server errors to
// log, with the system clock and ULIDs. phones may be nil only where no
// operation that parses phone numbers is served (see NewRouteHandler);
// the local stack, serving every route, passes internal/phone's.
func NewAPI(db dynamo.Client, table string, log *slog.Logger, phones team.PhoneNormalizer, opts ...team.Option) (*httpapi.API, error) {
	if table == "" {
		return nil, errors.New("lambdaenv: no table name")
	}
	return httpapi.New(team.NewService(dynamo.NewStore(db, table), team.SystemClock{}, team.ULIDSource{}, phones, opts...), log), nil
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
	}
	for _, v := range []struct{ name, value string }{{EnvTableName, s.TableName}, {EnvSenderEmail, s.SenderEmail}, {EnvAppBaseURL, s.AppBaseURL}} {
		if v.value == "" {
			return StreamSettings{}, fmt.Errorf("lambdaenv: %s is not set", v.name)
		}
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
func DynamoDB(cfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = endpoint(os.Getenv(EnvEndpointDynamoDB)) })
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
