package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/businessapp/usermanagement/internal/changejson"
	"github.com/businessapp/usermanagement/internal/team"
)

// API records: the JSON shapes of SPEC §4, kept apart from domain types so
// the wire format changes only on purpose. Unset optional fields are null.

type userJSON struct {
	ID              string   `json:"id"`
	Email           string   `json:"email"`
	FirstName       *string  `json:"firstName"`
	LastName        *string  `json:"lastName"`
	Phone           *string  `json:"phone"`
	Permissions     []string `json:"permissions"`
	ProfileImageURL *string  `json:"profileImageUrl"`
	InvitedBy       *string  `json:"invitedBy"`
	CreatedAt       string   `json:"createdAt"`
	UpdatedAt       string   `json:"updatedAt"`
	Status          string   `json:"status"`
	// InvitationExpiresAt is null for users invited before invitations
	// expired; ActivatedAt is null until the first request.
	InvitationExpiresAt *string `json:"invitationExpiresAt"`
	ActivatedAt         *string `json:"activatedAt"`
	Version             int64   `json:"version"`
	IsOwner             bool    `json:"isOwner"`

	// PhoneDisplay is null when there is no phone, and for users stored
	// before it was computed (until their contact info next changes):
	// reads derive nothing, so that they never load the phone library.
	PhoneDisplay *string `json:"phoneDisplay"`
}

func optTimestamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timestamp(t)
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toUserJSON(u team.User) userJSON {
	return userJSON{
		ID: u.ID, Email: u.Email, FirstName: nullable(u.FirstName), LastName: nullable(u.LastName), Phone: nullable(u.Phone),
		Permissions: u.Permissions.Strings(), InvitedBy: nullable(u.InvitedBy),
		CreatedAt: timestamp(u.CreatedAt), UpdatedAt: timestamp(u.UpdatedAt), Version: u.Version,
		IsOwner:         u.IsOwner,
		ProfileImageURL: nullable(u.ProfileImageURL), Status: string(u.EffectiveStatus()), InvitationExpiresAt: optTimestamp(u.InvitationExpiresAt), ActivatedAt: optTimestamp(u.ActivatedAt),
		PhoneDisplay: nullable(u.PhoneDisplay),
	}
}

// timestamp writes a time in UTC as encoding/json writes a time.Time (RFC
// 3339, the fraction without trailing zeros), but as a plain string: a
// time.Time goes through its MarshalJSON, whose output encoding/json then
// reads again to compact it, which was a third of the cost of encoding a
// page of users (docs/PERFORMANCE.md).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type tabJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// businessJSON is GET /v1/businesses/{businessId}: total is the exact
// number of users, invited the exact number of them still invited (the
// page's "1,234 people · 12 invited").
type businessJSON struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Tabs    []tabJSON `json:"tabs"`
	Owner   ownerJSON `json:"owner"`
	Total   int64     `json:"total"`
	Invited int64     `json:"invited"`
}

type ownerJSON struct {
	Email string `json:"email"`
}

type tabsJSON struct {
	Tabs []tabJSON `json:"tabs"`
}

// usersPageJSON is a page of GET /v1/businesses/{businessId}/users: total
// and invited are the business's exact counts, unfiltered, as on the
// business.
type usersPageJSON struct {
	Users      []userJSON `json:"users"`
	NextCursor *string    `json:"nextCursor"`
	Total      int64      `json:"total"`
	Invited    int64      `json:"invited"`
}

type activityJSON struct {
	ID     string     `json:"id"`
	Type   string     `json:"type"`
	Actor  actorJSON  `json:"actor"`
	Target targetJSON `json:"target"`
	At     string     `json:"at"`
	// Changes is the same JSON as an event's changes; it is left out when
	// nothing changed (removals).
	Changes *changejson.Changes `json:"changes,omitempty"`
}

type actorJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

type targetJSON struct {
	ID        string  `json:"id"`
	Email     string  `json:"email"`
	FirstName *string `json:"firstName"`
	LastName  *string `json:"lastName"`
}

type activityPageJSON struct {
	Activity   []activityJSON `json:"activity"`
	NextCursor *string        `json:"nextCursor"`
}

func toActivityJSON(a team.Activity) activityJSON {
	out := activityJSON{
		ID: a.ID, Type: string(a.Type), Actor: actorJSON{ID: a.ActorID, Email: a.Actor},
		Target: targetJSON{ID: a.Target.ID, Email: a.Target.Email, FirstName: nullable(a.Target.FirstName), LastName: nullable(a.Target.LastName)},
		At:     timestamp(a.At),
	}
	if !a.Changes.IsZero() {
		changes := changejson.Of(a.Changes)
		out.Changes = &changes
	}
	return out
}

type errorJSON struct {
	Error errorDetailJSON `json:"error"`
}

type errorDetailJSON struct {
	Code    team.Code         `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func errorBody(code team.Code, message string, fields map[string]string) errorJSON {
	return errorJSON{Error: errorDetailJSON{Code: code, Message: message, Fields: fields}}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the body is JSON, never HTML; keep it readable
	_ = enc.Encode(body)
}
