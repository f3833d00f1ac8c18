package delivery

import (
	"fmt"

	"github.com/businessapp/usermanagement/internal/team"
)

var detailTypes = map[team.ActivityType]DetailType{
	team.ActivityUserAdded:          DetailUserAdded,
	team.ActivityUserRemoved:        DetailUserRemoved,
	team.ActivityPermissionsChanged: DetailUserPermissionsChanged,
	team.ActivityContactChanged:     DetailUserContactInfoChanged,
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EventOf returns the event of an activity record. Its id is the activity
// id, so every retry puts an event with the same eventId.
func EventOf(a team.Activity) (Event, error) {
	dt, ok := detailTypes[a.Type]
	if !ok {
		return Event{}, fmt.Errorf("%w: unknown activity type %q", ErrPermanent, a.Type)
	}
	field := func(c *team.FieldChange) *DetailFieldChange {
		if c == nil {
			return nil
		}
		return &DetailFieldChange{From: nullable(c.From), To: nullable(c.To)}
	}
	d := Detail{
		EventID: a.ID, OccurredAt: a.At.UTC(), BusinessID: a.BusinessID,
		Actor: DetailActor{Email: a.Actor},
		User: DetailUser{Email: a.Target.Email, FirstName: nullable(a.Target.FirstName),
			LastName: nullable(a.Target.LastName), Phone: nullable(a.Target.Phone)},
		Changes: DetailChanges{
			Email: field(a.Changes.Email), FirstName: field(a.Changes.FirstName),
			LastName: field(a.Changes.LastName), Phone: field(a.Changes.Phone),
		},
	}
	if p := a.Changes.Permissions; p != nil {
		d.Changes.Permissions = &DetailPermissionsChange{From: p.From.Strings(), To: p.To.Strings()}
	}
	return Event{DetailType: dt, Time: a.At.UTC(), Detail: d}, nil
}
