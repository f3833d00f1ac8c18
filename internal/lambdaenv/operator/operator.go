// Package operator is the composition root of the operator's commands
// (cmd/redeliver, cmd/backfill): they run on an operator's machine or in a CI job, not in
// Lambda, so they take their AWS configuration from the SDK's usual chain
// (AWS_PROFILE, SSO, AWS_REGION, the shared files) rather than from the
// variables Lambda sets. It is a package of its own so that no function
// links that chain (see internal/lambdaenv).
package operator

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// Backfill returns the backfill (dynamo.Backfill) of the table named by
// table, or by TABLE_NAME when table is "", over DynamoDB as the SDK's
// default chain configures it (with AWS_ENDPOINT_URL_DYNAMODB honoured).
// It gives users ids as the API does and formats their phones with the
// API's phone library.
func Backfill(ctx context.Context, table string) (*dynamo.Backfill, string, error) {
	if table == "" {
		table = lambdaenv.TableNameFromEnv()
	}
	if table == "" {
		return nil, "", fmt.Errorf("operator: no table: pass -table or set %s", lambdaenv.EnvTableName)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("operator: load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, "", fmt.Errorf("operator: no AWS region: set AWS_REGION or a profile's region")
	}
	return dynamo.NewBackfill(lambdaenv.DynamoDB(cfg), table, team.ULIDSource{}, team.SystemClock{}, phone.Normalizer{}), table, nil
}

// Redeliverer returns the redelivery of the stack the environment names:
// the stream consumer's settings (TABLE_NAME, SENDER_EMAIL, APP_BASE_URL,
// EVENT_BUS_NAME, as the deployed consumer has them) and the AWS
// configuration of the SDK's default chain, with the endpoint overrides
// the functions honour (AWS_ENDPOINT_URL and its per-service variants).
func Redeliverer(ctx context.Context, log *slog.Logger) (*stream.Redeliverer, error) {
	s, err := lambdaenv.StreamSettingsFromEnv()
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("operator: load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("operator: no AWS region: set AWS_REGION or a profile's region")
	}
	return stream.NewRedeliverer(s, stream.RedeliveryClients{
		DynamoDB:    lambdaenv.DynamoDB(cfg),
		SES:         sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = lambdaenv.SESEndpoint() }),
		EventBridge: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = lambdaenv.EventBridgeEndpoint() }),
	}, log)
}
