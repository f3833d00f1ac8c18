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

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Environment variables the functions read; template.yaml sets them.
//
// Endpoints are not among them: the AWS SDK itself honours
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SESV2,
// AWS_ENDPOINT_URL_EVENTBRIDGE and AWS_ENDPOINT_URL, which is how the
// packaging tests point the built functions at DynamoDB Local and kumo.
// template.yaml never sets them.
const (
	EnvTableName = "TABLE_NAME"
	// The stream consumer's settings.
	EnvEventBusName = "EVENT_BUS_NAME" // empty: the default bus
	EnvSenderEmail  = "SENDER_EMAIL"   // the verified SES identity mail comes from
	EnvAppBaseURL   = "APP_BASE_URL"   // where welcome emails send invitees
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
	return NewRouteHandler(dynamodb.NewFromConfig(cfg), table, Logger(), operation, phones)
}

// NewRouteHandler returns the Lambda handler of one operation of the route
// table, over table through db, logging server errors to log. It refuses an
// operation that parses phone numbers when phones is nil, so that a
// mis-wired function fails its init rather than its requests.
func NewRouteHandler(db dynamo.Client, table string, log *slog.Logger, operation string, phones team.PhoneNormalizer) (HTTPHandler, error) {
	route, ok := httpapi.RouteOf(operation)
	if !ok {
		return nil, fmt.Errorf("lambdaenv: no operation %q", operation)
	}
	if route.ParsesPhones && phones == nil {
		return nil, fmt.Errorf("lambdaenv: %s parses phone numbers, but no PhoneNormalizer was given", operation)
	}
	api, err := NewAPI(db, table, log, phones)
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
func NewAPI(db dynamo.Client, table string, log *slog.Logger, phones team.PhoneNormalizer) (*httpapi.API, error) {
	if table == "" {
		return nil, errors.New("lambdaenv: no table name")
	}
	return httpapi.New(team.NewService(dynamo.NewStore(db, table), team.SystemClock{}, team.ULIDSource{}, phones), log), nil
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

// AWSConfig loads the AWS configuration Lambda gives the function: the
// region and the role's credentials from the environment.
func AWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("lambdaenv: load AWS config: %w", err)
	}
	return cfg, nil
}

// Fail logs why a function could not start and exits, so that Lambda
// reports a failed init instead of the function serving errors.
func Fail(err error) {
	Logger().Error("function init failed", slog.Any("error", err))
	os.Exit(1)
}
