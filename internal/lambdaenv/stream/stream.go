// Package stream is the stream consumer's half of the composition root
// (see internal/lambdaenv): it builds the consumer that delivers the
// table's activity records to SES and EventBridge. It is its own package so
// that only the consumer's function links the SES and EventBridge SDKs.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/eventbus"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/sesmail"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/team"
)

// BatchHandler is the Lambda handler of the table's stream, reporting
// partial batch failures.
type BatchHandler = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// DynamoDB is what the stream consumer needs of a DynamoDB client: the
// store's reads (business and inviter) and the ledger's delivery marks.
type DynamoDB interface {
	dynamo.Client
	dynamo.LedgerClient
}

// Clients are the AWS clients the stream consumer calls.
type Clients struct {
	DynamoDB    DynamoDB
	SES         sesmail.Client
	EventBridge eventbus.Client
	// Metrics receives what each batch delivered; nil for none.
	Metrics delivery.Metrics
}

// Handler returns the stream consumer's Lambda handler with the settings
// lambdaenv.StreamSettingsFromEnv read and the AWS configuration of the
// function's role and region: it delivers the table's activity records to
// SES and EventBridge.
func Handler(ctx context.Context, s lambdaenv.StreamSettings) (BatchHandler, error) {
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	log := lambdaenv.Logger()
	m, err := lambdaenv.NewMetrics(os.Stdout, s.MetricsNamespace, log)
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = HTTPClient()
	return NewHandler(s, Clients{
		DynamoDB:    lambdaenv.DynamoDB(cfg),
		SES:         sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = lambdaenv.SESEndpoint() }),
		EventBridge: eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = lambdaenv.EventBridgeEndpoint() }),
		Metrics:     m,
	}, log)
}

// maxBatchSize is the event source mapping's BatchSize (template.yaml).
const maxBatchSize = 100

// HTTPClient is the HTTP client of the consumer's AWS clients. A batch of
// BatchSize records makes that many calls at once; the SDK's default keeps
// only ten idle connections per host, so every batch would dial (and, in
// AWS, handshake) again for the rest.
func HTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = maxBatchSize
	})
}

// NewHandler returns the stream consumer's Lambda handler, delivering
// through the given clients and logging to log.
func NewHandler(s lambdaenv.StreamSettings, c Clients, log *slog.Logger) (BatchHandler, error) {
	consumer, err := NewConsumer(s, c, log)
	if err != nil {
		return nil, err
	}
	return streamlambda.Handler(consumer), nil
}

// NewConsumer returns the stream consumer, for the Lambda (NewHandler) and
// for the local stack's stand-in for the event source mapping.
func NewConsumer(s lambdaenv.StreamSettings, c Clients, log *slog.Logger) (*delivery.Consumer, error) {
	if s.TableName == "" || s.SenderEmail == "" || s.AppBaseURL == "" {
		return nil, errors.New("lambdaenv/stream: the stream consumer needs a table name, a sender email and an app base URL")
	}
	return delivery.New(s.AppBaseURL, delivery.Deps{
		Ledger:    dynamo.NewLedger(c.DynamoDB, s.TableName),
		Directory: dynamo.NewStore(c.DynamoDB, s.TableName),
		Mailer:    sesmail.New(c.SES, s.SenderEmail, sesmail.ConfigurationSet(s.SesConfigurationSet)),
		Publisher: eventbus.New(c.EventBridge, s.EventBusName),
		Clock:     team.SystemClock{},
		Log:       log,
		Metrics:   c.Metrics,
		IDs:       team.ULIDSource{},
	}), nil
}

// RedeliveryDynamoDB is what redelivery needs of a DynamoDB client: the
// consumer's reads and marks, and the backlog's Query and Scan.
type RedeliveryDynamoDB interface {
	DynamoDB
	dynamo.BacklogClient
}

// RedeliveryClients are the AWS clients redelivery calls: those of the
// stream consumer, with a DynamoDB client that can also scan.
type RedeliveryClients struct {
	DynamoDB    RedeliveryDynamoDB
	SES         sesmail.Client
	EventBridge eventbus.Client
}

// Redeliverer delivers what the stream could not (cmd/redeliver): the
// stream consumer, built exactly as NewConsumer builds it, over the
// table's backlog of undelivered activity records.
type Redeliverer struct {
	consumer *delivery.Consumer
	backlog  *dynamo.Backlog
}

// NewRedeliverer returns the Redeliverer of the table s names, delivering
// through the given clients with the stream consumer's settings, so that
// what it sends is what the consumer would have sent.
func NewRedeliverer(s lambdaenv.StreamSettings, c RedeliveryClients, log *slog.Logger) (*Redeliverer, error) {
	consumer, err := NewConsumer(s, Clients{DynamoDB: c.DynamoDB, SES: c.SES, EventBridge: c.EventBridge}, log)
	if err != nil {
		return nil, err
	}
	return &Redeliverer{consumer: consumer, backlog: dynamo.NewBacklog(c.DynamoDB, s.TableName)}, nil
}

// Redeliver delivers every email and event the query finds undelivered
// (delivery.Consumer.Redeliver). Errors: the table could not be read.
func (r *Redeliverer) Redeliver(ctx context.Context, q delivery.BacklogQuery) (delivery.Redelivery, error) {
	return r.consumer.Redeliver(ctx, r.backlog, q)
}
