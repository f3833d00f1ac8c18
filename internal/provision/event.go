package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/businessapp/usermanagement/internal/team"
)

// DefaultSource is the source the platform's events carry unless the
// deployment says otherwise (template.yaml's PlatformEventSource).
const DefaultSource = "businessapp.platform"

// The detail-types of the platform's events (SPEC §7).
const (
	DetailTypeUpserted = "BusinessUpserted"
	DetailTypeDeleted  = "BusinessDeleted"
)

// Event is an EventBridge event as a rule delivers it to its target; only
// the members provisioning reads are decoded.
type Event struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// upsertedDetail is the JSON of BusinessUpserted's detail
// (docs/events/platform/BusinessUpserted.schema.json).
type upsertedDetail struct {
	BusinessID  string   `json:"businessId"`
	Name        string   `json:"name"`
	EnabledTabs []string `json:"enabledTabs"`
	Owner       struct {
		Email     string `json:"email"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"owner"`
	Revision *int64 `json:"revision"`
}

// deletedDetail is the JSON of BusinessDeleted's detail.
type deletedDetail struct {
	BusinessID string `json:"businessId"`
	Revision   *int64 `json:"revision"`
}

// Handler turns platform events into Service calls: the provisioning
// Lambda's handler and the local stack's POST /dev/platform-events.
type Handler struct {
	service *Service
	source  string
}

// NewHandler returns a Handler that accepts events of the source ("" for
// DefaultSource).
func NewHandler(service *Service, source string) *Handler {
	if source == "" {
		source = DefaultSource
	}
	return &Handler{service: service, source: source}
}

// Handle applies one event. Members of the detail that provisioning does
// not know are ignored, so that the platform can add some without
// breaking provisioning; a missing revision is refused, since without one
// no order can be kept.
//
// Errors: invalid_request (*team.Error) for an event of another source or
// detail-type, or a detail that is not valid: retrying cannot help, so the
// Lambda's retries end in its dead-letter queue where an operator sees
// them. The Service's errors otherwise.
func (h *Handler) Handle(ctx context.Context, ev Event) (Outcome, error) {
	if ev.Source != h.source {
		return "", team.InvalidField("source", fmt.Sprintf("source must be %q.", h.source))
	}
	switch ev.DetailType {
	case DetailTypeUpserted:
		var d upsertedDetail
		if err := decodeDetail(ev.Detail, &d); err != nil {
			return "", err
		}
		if d.Revision == nil {
			return "", team.InvalidField("revision", "revision is required.")
		}
		return h.service.Upsert(ctx, Upsert{BusinessID: d.BusinessID, Name: d.Name, EnabledTabs: d.EnabledTabs,
			Owner: Owner{Email: d.Owner.Email, FirstName: d.Owner.FirstName, LastName: d.Owner.LastName}, Revision: *d.Revision})
	case DetailTypeDeleted:
		var d deletedDetail
		if err := decodeDetail(ev.Detail, &d); err != nil {
			return "", err
		}
		if d.Revision == nil {
			return "", team.InvalidField("revision", "revision is required.")
		}
		return h.service.Delete(ctx, Delete{BusinessID: d.BusinessID, Revision: *d.Revision})
	default:
		return "", team.InvalidField("detail-type", fmt.Sprintf("detail-type must be %s or %s.", DetailTypeUpserted, DetailTypeDeleted))
	}
}

func decodeDetail(raw json.RawMessage, into any) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return team.InvalidField("detail", "detail is required.")
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return team.InvalidField("detail", fmt.Sprintf("detail is not the expected JSON: %v.", err))
	}
	return nil
}
