// Package provisioning is the provisioning function's half of the
// composition root (see internal/lambdaenv): it builds the handler of the
// EventBridge rule for the platform's BusinessUpserted and BusinessDeleted
// events (SPEC §7). It is its own package so that the function links
// neither the API's packages nor the SES and EventBridge SDKs; the local
// stack's POST /dev/platform-events builds the same handler through
// NewHandler.
package provisioning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// EventHandler is the Lambda handler of the rule's target. EventBridge
// invokes the function asynchronously: an error makes Lambda retry the
// event and, once its retries are spent, send it to the function's
// dead-letter queue.
type EventHandler = func(context.Context, provision.Event) error

// Handler returns the provisioning function's handler with the settings
// lambdaenv.ProvisionSettingsFromEnv read and the AWS configuration of the
// function's role and region.
func Handler(ctx context.Context, s lambdaenv.ProvisionSettings) (EventHandler, error) {
	cfg, err := lambdaenv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	h, err := NewHandler(s, lambdaenv.DynamoDB(cfg), lambdaenv.Logger())
	if err != nil {
		return nil, err
	}
	log := lambdaenv.Logger()
	return func(ctx context.Context, ev provision.Event) error {
		outcome, err := h.Handle(ctx, ev)
		if err != nil {
			var te *team.Error
			if errors.As(err, &te) {
				// The event itself is malformed: retries cannot help, but
				// failing sends it to the dead-letter queue, where an
				// operator sees it, rather than dropping it.
				log.WarnContext(ctx, "platform event refused", "detailType", ev.DetailType, "code", string(te.Code), "reason", te.Message)
			} else {
				log.ErrorContext(ctx, "platform event failed", "detailType", ev.DetailType, "error", err.Error())
			}
			return err
		}
		log.InfoContext(ctx, "platform event handled", "detailType", ev.DetailType, "outcome", string(outcome))
		return nil
	}, nil
}

// NewHandler returns the platform events' handler over the table, for the
// Lambda (Handler) and the local stack.
func NewHandler(s lambdaenv.ProvisionSettings, db dynamo.Client, log *slog.Logger) (*provision.Handler, error) {
	if s.TableName == "" {
		return nil, fmt.Errorf("lambdaenv/provisioning: the provisioning function needs a table name")
	}
	store := dynamo.NewStore(db, s.TableName)
	svc := provision.NewService(store, team.SystemClock{}, team.ULIDSource{}, s.InvitationTTL, log)
	return provision.NewHandler(svc, s.Source), nil
}
