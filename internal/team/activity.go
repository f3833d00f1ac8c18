package team

import (
	"fmt"
	"slices"
	"strings"
)

// ActivityFilter narrows a list of activity (SPEC §4: type= and userId=).
// The zero value lists everything. Values come from outside only through
// ParseActivityFilter.
type ActivityFilter struct {
	// Type keeps only activity of this type; "" keeps every type.
	Type ActivityType
	// UserID keeps only activity whose target is the user with this id:
	// one person's history, which follows their id through email changes.
	// "" keeps every target.
	UserID string
}

// IsZero reports whether the filter keeps everything.
func (f ActivityFilter) IsZero() bool { return f.Type == "" && f.UserID == "" }

// maxUserIDLength bounds a user id in a filter. Ids are "usr_" and a
// 26-character ULID; the bound leaves room without letting a query string
// carry kilobytes into a key.
const maxUserIDLength = 64

// ParseActivityFilter checks the type= and userId= parameters of the
// activity list; "" means the parameter is absent. The type must be one of
// ActivityTypes, so a type becomes valid here as soon as the service can
// record it. A user id is opaque, but it can only be letters, digits, '_'
// and '-': anything else names no user, and refusing it keeps the index
// keys it goes into unambiguous. Errors: an invalid_request *Error naming
// the field.
func ParseActivityFilter(typ, userID string) (ActivityFilter, error) {
	var f ActivityFilter
	if typ != "" {
		if !slices.Contains(ActivityTypes(), ActivityType(typ)) {
			names := make([]string, 0, len(ActivityTypes()))
			for _, t := range ActivityTypes() {
				names = append(names, string(t))
			}
			return ActivityFilter{}, InvalidField("type", fmt.Sprintf("type must be one of %s.", strings.Join(names, ", ")))
		}
		f.Type = ActivityType(typ)
	}
	if userID != "" {
		if len(userID) > maxUserIDLength || strings.ContainsFunc(userID, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) {
			return ActivityFilter{}, InvalidField("userId", "userId must be the id of a user, as in a user's \"id\" field.")
		}
		f.UserID = userID
	}
	return f, nil
}

// Matches reports whether the filter keeps the activity record. Stores
// that filter in memory use it, so that every store agrees on what a
// filter means.
func (f ActivityFilter) Matches(a Activity) bool {
	return (f.Type == "" || a.Type == f.Type) && (f.UserID == "" || a.Target.ID == f.UserID)
}
