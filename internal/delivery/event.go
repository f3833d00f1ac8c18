package delivery

import (
	"fmt"

	"github.com/businessapp/usermanagement/internal/changejson"
	"github.com/businessapp/usermanagement/internal/team"
)

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EventOf returns the event of an activity record. Its id is the activity
// id, so every retry puts an event with the same eventId. Errors: an
// activity type without a row in the downstream table (ErrPermanent).
func EventOf(a team.Activity) (Event, error) {
	row, ok := DownstreamOf(a.Type)
	if !ok {
		return Event{}, fmt.Errorf("%w: unknown activity type %q", ErrPermanent, a.Type)
	}
	d := Detail{
		EventID: a.ID, OccurredAt: a.At.UTC(), BusinessID: a.BusinessID.String(),
		Actor: DetailActor{ID: a.ActorID, Email: a.Actor},
		User: DetailUser{ID: a.Target.ID, Email: a.Target.Email, FirstName: nullable(a.Target.FirstName),
			LastName: nullable(a.Target.LastName), Phone: nullable(a.Target.Phone)},
		Changes: changejson.Of(a.Changes),
	}
	return Event{DetailType: row.DetailType, Time: a.At.UTC(), Detail: d}, nil
}
