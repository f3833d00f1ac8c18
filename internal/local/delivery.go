package local

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
	"github.com/businessapp/usermanagement/internal/sesmail"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/streampoll"
)

// Settings of the local event source mapping; template.yaml has the same
// batch size, parallelization factor and retry attempts (the README's
// "Delivery throughput" has the arithmetic). One batch of ten at a time
// managed about 57 records a second here while the API committed 78
// invites a second: a batch costs a handful of round trips whatever its
// size, so larger batches, and batches of different businesses at once,
// keep up where more of the same could not.
const (
	streamBatchSize             = 100
	streamParallelizationFactor = 10
	streamRetryAttempts         = 10000
	streamPollInterval          = 50 * time.Millisecond
)

// newConsumer builds the consumer the stream Lambda runs, through the same
// composition root, with the local stack's clients and settings.
func (s *Stack) newConsumer(cfg Config, endpoint string, m delivery.Metrics) (*delivery.Consumer, error) {
	var ses sesmail.Client = s.emulators.ses
	if cfg.WrapSES != nil {
		ses = cfg.WrapSES(ses)
	}
	db := dynamodblocal.NewClient(endpoint, func(o *dynamodb.Options) { o.HTTPClient = stream.HTTPClient() })
	return stream.NewConsumer(s.streamSettings(cfg.TableName), stream.Clients{DynamoDB: db, SES: ses, EventBridge: s.emulators.accepted, Metrics: m}, cfg.Log)
}

// streamSettings are the consumer's settings on the local stack.
func (s *Stack) streamSettings(table string) lambdaenv.StreamSettings {
	return lambdaenv.StreamSettings{TableName: table, EventBusName: localBus, SenderEmail: localSender, AppBaseURL: s.URL}
}

// DeliveryEnv is the environment under which an operator's command
// (cmd/redeliver) reaches this stack as it would a deployed one: the
// consumer's settings, and endpoints, region and credentials for DynamoDB
// Local and kumo.
func (s *Stack) DeliveryEnv() map[string]string {
	st := s.streamSettings(s.TableName)
	return map[string]string{
		lambdaenv.EnvTableName: st.TableName, lambdaenv.EnvEventBusName: st.EventBusName,
		lambdaenv.EnvSenderEmail: st.SenderEmail, lambdaenv.EnvAppBaseURL: st.AppBaseURL,
		lambdaenv.EnvRegion: kumoRegion, lambdaenv.EnvAccessKeyID: kumoAccessID, lambdaenv.EnvSecretAccessKey: kumoAccessID,
		lambdaenv.EnvEndpointDynamoDB: s.DynamoDBEndpoint,
		lambdaenv.EnvEndpointSES:      s.emulators.server.URL, lambdaenv.EnvEndpointEventBridge: s.emulators.server.URL,
	}
}

// runDelivery feeds the table's stream to the same consumer the stream
// Lambda runs, through the local stand-in for the event source mapping,
// until ctx ends. Records given up on are logged: the local stand-in for the
// on-failure queue.
func (s *Stack) runDelivery(ctx context.Context, cfg Config, endpoint string, consumer *delivery.Consumer) {
	db := dynamodblocal.NewClient(endpoint)
	poller := streampoll.New(db, dynamodblocal.NewStreamsClient(endpoint), streampoll.Config{
		TableName:             cfg.TableName,
		BatchSize:             cmp.Or(cfg.StreamBatchSize, streamBatchSize),
		ParallelizationFactor: cmp.Or(cfg.StreamParallelizationFactor, streamParallelizationFactor),
		PollInterval:          streamPollInterval,
		// Keep reading while batches are delivered, so that a record
		// committed meanwhile waits only for its own lane, not for the
		// page's slowest batch and another GetRecords (docs/PERFORMANCE.md,
		// "Where the lag goes").
		ReadAhead:        true,
		MaxRetryAttempts: cmp.Or(cfg.StreamRetryAttempts, streamRetryAttempts),
		Filter:           streamlambda.IsActivityInsert,
		OnFailure: func(records []events.DynamoDBEventRecord, reason error) {
			// The activity ids say which records `go run ./cmd/redeliver`
			// will find undelivered; in AWS the queue holds only pointers.
			var ids []string
			for _, r := range streamlambda.Records(events.DynamoDBEvent{Records: records}) {
				ids = append(ids, r.Activity.ID)
			}
			cfg.Log.Error("stream records given up on (in AWS they would go to the on-failure queue)",
				slog.Int("records", len(records)), slog.Any("activityIds", ids), slog.Any("error", reason))
		},
		Log: cfg.Log,
	}, streamlambda.Handler(consumer))
	if err := poller.Run(ctx); err != nil && ctx.Err() == nil {
		cfg.Log.Error("stream poller stopped", slog.Any("error", err))
	}
}

// listEmails handles GET /dev/emails.
func (s *Stack) listEmails(w http.ResponseWriter, r *http.Request) {
	emails, err := s.emulators.emails(r.Context())
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, emails)
}

// listEvents handles GET /dev/events.
func (s *Stack) listEvents(w http.ResponseWriter, r *http.Request) {
	evs, err := s.emulators.events(r.Context())
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	for i := range evs {
		evs[i].CommittedAt = s.commits.committedAt(eventID(string(evs[i].Detail)))
	}
	writeJSON(w, http.StatusOK, evs)
}
