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

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/gateway"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// Environment variables the functions read; template.yaml sets them.
const (
	EnvTableName = "TABLE_NAME"
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

// Fail logs why a function could not start and exits, so that Lambda
// reports a failed init instead of the function serving errors.
func Fail(err error) {
	Logger().Error("function init failed", slog.Any("error", err))
	os.Exit(1)
}
