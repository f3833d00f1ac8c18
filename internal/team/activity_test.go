package team_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/team"
)

func TestParseActivityFilter(t *testing.T) {
	for _, tc := range []struct {
		name, typ, userID string
		want              team.ActivityFilter
		badField          string
	}{
		{name: "none", want: team.ActivityFilter{}},
		{name: "type", typ: "user.removed", want: team.ActivityFilter{Type: team.ActivityUserRemoved}},
		{name: "user", userID: "usr_01JD6Z8Q3M4N5P6R7S8T9V0W1X", want: team.ActivityFilter{UserID: "usr_01JD6Z8Q3M4N5P6R7S8T9V0W1X"}},
		{name: "both", typ: "user.added", userID: "usr_a-b", want: team.ActivityFilter{Type: team.ActivityUserAdded, UserID: "usr_a-b"}},
		{name: "user id of the longest", userID: strings.Repeat("x", 64), want: team.ActivityFilter{UserID: strings.Repeat("x", 64)}},
		{name: "unknown type", typ: "user.deleted", badField: "type"},
		{name: "type with a space", typ: "user.added ", badField: "type"},
		{name: "user id too long", userID: strings.Repeat("x", 65), badField: "userId"},
		{name: "user id with a hash", userID: "usr_1#TYPE#user.added", badField: "userId"},
		{name: "user id with a space", userID: "usr 1", badField: "userId"},
		{name: "user id not ASCII", userID: "usr_é", badField: "userId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := team.ParseActivityFilter(tc.typ, tc.userID)
			if tc.badField == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("filter (-want +got):\n%s", diff)
				}
				return
			}
			var e *team.Error
			if !errors.As(err, &e) || e.Code != team.CodeInvalidRequest || e.Fields[tc.badField] == "" {
				t.Errorf("error = %v, want invalid_request naming %s", err, tc.badField)
			}
		})
	}
}

// Every type the service can record is a valid filter, so a type added
// to ActivityTypes becomes filterable without another change.
func TestEveryActivityTypeFilters(t *testing.T) {
	for _, typ := range team.ActivityTypes() {
		if f, err := team.ParseActivityFilter(string(typ), ""); err != nil || f.Type != typ {
			t.Errorf("ParseActivityFilter(%q) = %+v, %v", typ, f, err)
		}
	}
}
