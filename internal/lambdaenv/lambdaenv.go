// Package lambdaenv builds the dependencies of a Lambda function from its
// environment. It is the one place deployed code reads environment variables.
//
// Each function has two halves: RouteHandler and StreamHandler read the
// environment and make AWS clients from the function's role and region;
// NewRouteHandler and NewStreamHandler wire the handler from settings and
// clients given to them. Tests call the second half with clients for
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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/eventbus"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/sesmail"
	"github.com/businessapp/usermanagement/internal/streamlambda"
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

// BatchHandler is the Lambda handler of the table's stream, reporting
// partial batch failures.
type BatchHandler = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Logger returns the JSON logger every function writes to (Lambda sends
// stdout to CloudWatch Logs).
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

// RouteHandler returns the Lambda handler of one operation of the route
// table, over the table named by TABLE_NAME, with the AWS configuration of
// the function's role and region.
func RouteHandler(ctx context.Context, operation string) (HTTPHandler, error) {
	table := os.Getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("lambdaenv: %s is not set", EnvTableName)
	}
	cfg, err := loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return NewRouteHandler(dynamodb.NewFromConfig(cfg), table, Logger(), operation)
}

// NewRouteHandler returns the Lambda handler of one operation of the route
// table, over table through db, logging server errors to log.
func NewRouteHandler(db dynamo.Client, table string, log *slog.Logger, operation string) (HTTPHandler, error) {
	if table == "" {
		return nil, errors.New("lambdaenv: no table name")
	}
	api := httpapi.New(team.NewService(dynamo.NewStore(db, table), team.SystemClock{}, team.ULIDSource{}), log)
	h, err := api.Handler(operation)
	if err != nil {
		return nil, err
	}
	return gateway.Handler(h), nil
}

// StreamSettings configure the stream consumer.
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

// DynamoDB is what the stream consumer needs of a DynamoDB client: the
// store's reads (business and inviter) and the ledger's delivery marks.
type DynamoDB interface {
	dynamo.Client
	dynamo.LedgerClient
}

// StreamClients are the AWS clients the stream consumer calls.
type StreamClients struct {
	DynamoDB    DynamoDB
	SES         sesmail.Client
	EventBridge eventbus.Client
}

// StreamHandler returns the stream consumer's Lambda handler, configured
// from the environment, with the AWS configuration of the function's role
// and region: it delivers the table's activity records to SES and
// EventBridge.
func StreamHandler(ctx context.Context) (BatchHandler, error) {
	s := StreamSettings{
		TableName:    os.Getenv(EnvTableName),
		EventBusName: os.Getenv(EnvEventBusName),
		SenderEmail:  os.Getenv(EnvSenderEmail),
		AppBaseURL:   os.Getenv(EnvAppBaseURL),
	}
	for name, v := range map[string]string{EnvTableName: s.TableName, EnvSenderEmail: s.SenderEmail, EnvAppBaseURL: s.AppBaseURL} {
		if v == "" {
			return nil, fmt.Errorf("lambdaenv: %s is not set", name)
		}
	}
	cfg, err := loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return NewStreamHandler(s, StreamClients{
		DynamoDB:    dynamodb.NewFromConfig(cfg),
		SES:         sesv2.NewFromConfig(cfg),
		EventBridge: eventbridge.NewFromConfig(cfg),
	}, Logger())
}

// NewStreamHandler returns the stream consumer's Lambda handler, delivering
// through the given clients and logging to log.
func NewStreamHandler(s StreamSettings, c StreamClients, log *slog.Logger) (BatchHandler, error) {
	if s.TableName == "" || s.SenderEmail == "" || s.AppBaseURL == "" {
		return nil, errors.New("lambdaenv: the stream consumer needs a table name, a sender email and an app base URL")
	}
	consumer := delivery.New(s.AppBaseURL, delivery.Deps{
		Ledger:    dynamo.NewLedger(c.DynamoDB, s.TableName),
		Directory: dynamo.NewStore(c.DynamoDB, s.TableName),
		Mailer:    sesmail.New(c.SES, s.SenderEmail),
		Publisher: eventbus.New(c.EventBridge, s.EventBusName),
		Clock:     team.SystemClock{},
		Log:       log,
	})
	return streamlambda.Handler(consumer), nil
}

// loadConfig loads the AWS configuration Lambda gives the function: the
// region and the role's credentials from the environment.
func loadConfig(ctx context.Context) (aws.Config, error) {
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
