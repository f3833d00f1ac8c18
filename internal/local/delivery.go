package local

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/streampoll"
)

// Settings of the local event source mapping; template.yaml has the same.
const (
	streamBatchSize     = 10
	streamRetryAttempts = 10000
	streamPollInterval  = 50 * time.Millisecond
)

// newConsumer builds the consumer the stream Lambda runs, through the same
// composition root, with the local stack's clients and settings.
func (s *Stack) newConsumer(cfg Config, endpoint string) (*delivery.Consumer, error) {
	return stream.NewConsumer(lambdaenv.StreamSettings{
		TableName:    cfg.TableName,
		EventBusName: localBus,
		SenderEmail:  localSender,
		AppBaseURL:   s.URL,
	}, stream.Clients{DynamoDB: dynamodblocal.NewClient(endpoint), SES: s.emulators.ses, EventBridge: s.emulators.accepted}, cfg.Log)
}

// runDelivery feeds the table's stream to the same consumer the stream
// Lambda runs, through the local stand-in for the event source mapping,
// until ctx ends. Records given up on are logged: the local stand-in for the
// on-failure queue.
func (s *Stack) runDelivery(ctx context.Context, cfg Config, endpoint string, consumer *delivery.Consumer) {
	db := dynamodblocal.NewClient(endpoint)
	poller := streampoll.New(db, dynamodblocal.NewStreamsClient(endpoint), streampoll.Config{
		TableName:        cfg.TableName,
		BatchSize:        streamBatchSize,
		PollInterval:     streamPollInterval,
		MaxRetryAttempts: streamRetryAttempts,
		Filter:           streamlambda.IsActivityInsert,
		OnFailure: func(records []events.DynamoDBEventRecord, reason error) {
			cfg.Log.Error("stream records given up on (in AWS they would go to the on-failure queue)",
				slog.Int("records", len(records)), slog.Any("error", reason))
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
	writeJSON(w, http.StatusOK, evs)
}
