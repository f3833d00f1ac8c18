package local

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/eventbus"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/sesmail"
	"github.com/businessapp/usermanagement/internal/streamlambda"
	"github.com/businessapp/usermanagement/internal/streampoll"
	"github.com/businessapp/usermanagement/internal/team"
)

// Settings of the local event source mapping; template.yaml has the same.
const (
	streamBatchSize     = 10
	streamRetryAttempts = 10000
	streamPollInterval  = 50 * time.Millisecond
)

// runDelivery feeds the table's stream to the same consumer the stream
// Lambda runs, through the local stand-in for the event source mapping,
// until ctx ends. Records given up on are logged: the local stand-in for the
// on-failure queue.
func (s *Stack) runDelivery(ctx context.Context, cfg Config, endpoint string, store *dynamo.Store) {
	db := dynamodblocal.NewClient(endpoint)
	consumer := delivery.New(s.URL, delivery.Deps{
		Ledger:    dynamo.NewLedger(db, cfg.TableName),
		Directory: store,
		Mailer:    sesmail.New(s.emulators.ses, localSender),
		Publisher: eventbus.New(s.emulators.eventbridge, localBus),
		Clock:     team.SystemClock{},
		Log:       cfg.Log,
	})
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
