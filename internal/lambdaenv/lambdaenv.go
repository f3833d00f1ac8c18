// Package lambdaenv builds the dependencies of a Lambda function from its
// environment. It is the one place deployed code reads environment variables.
package lambdaenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
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
	"github.com/businessapp/usermanagement/internal/team"
)

// Environment variables the functions read; template.yaml sets them.
const (
	EnvTableName = "TABLE_NAME"
	// The stream consumer's settings.
	EnvEventBusName = "EVENT_BUS_NAME" // empty: the default bus
	EnvSenderEmail  = "SENDER_EMAIL"   // the verified SES identity mail comes from
	EnvAppBaseURL   = "APP_BASE_URL"   // where welcome emails send invitees
)

// Logger returns the JSON logger every function writes to (Lambda sends
// stdout to CloudWatch Logs).
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, nil))
}

// API builds the HTTP API over the table named by TABLE_NAME, with the AWS
// configuration of the function's role and region.
func API(ctx context.Context, log *slog.Logger) (*httpapi.API, error) {
	table := os.Getenv(EnvTableName)
	if table == "" {
		return nil, fmt.Errorf("lambdaenv: %s is not set", EnvTableName)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lambdaenv: load AWS config: %w", err)
	}
	store := dynamo.NewStore(dynamodb.NewFromConfig(cfg), table)
	return httpapi.New(team.NewService(store, team.SystemClock{}, team.ULIDSource{}), log), nil
}

// RouteHandler returns the Lambda handler of one operation of the route
// table, built from the environment.
func RouteHandler(ctx context.Context, operation string) (func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error), error) {
	api, err := API(ctx, Logger())
	if err != nil {
		return nil, err
	}
	h, err := api.Handler(operation)
	if err != nil {
		return nil, err
	}
	return gateway.Handler(h), nil
}

// StreamHandler returns the stream consumer's Lambda handler, built from
// the environment: it delivers the table's activity records to SES and
// EventBridge.
func StreamHandler(ctx context.Context) (func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error), error) {
	table, sender, baseURL := os.Getenv(EnvTableName), os.Getenv(EnvSenderEmail), os.Getenv(EnvAppBaseURL)
	for name, v := range map[string]string{EnvTableName: table, EnvSenderEmail: sender, EnvAppBaseURL: baseURL} {
		if v == "" {
			return nil, fmt.Errorf("lambdaenv: %s is not set", name)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("lambdaenv: load AWS config: %w", err)
	}
	db := dynamodb.NewFromConfig(cfg)
	consumer := delivery.New(baseURL, delivery.Deps{
		Decode:    dynamo.ActivityFromStream,
		Ledger:    dynamo.NewLedger(db, table),
		Directory: dynamo.NewStore(db, table),
		Mailer:    sesmail.New(sesv2.NewFromConfig(cfg), sender),
		Publisher: eventbus.New(eventbridge.NewFromConfig(cfg), os.Getenv(EnvEventBusName)),
		Clock:     team.SystemClock{},
		Log:       Logger(),
	})
	return consumer.Handle, nil
}

// Fail logs why a function could not start and exits, so that Lambda
// reports a failed init instead of the function serving errors.
func Fail(err error) {
	Logger().Error("function init failed", slog.Any("error", err))
	os.Exit(1)
}
