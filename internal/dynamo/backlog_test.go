package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/team"
)

// The backlog finds, in the table, the activity whose event or due email is
// not recorded as done, business by business, oldest first, within the time
// range asked for; what the ledger marked done is not found again.
func TestBacklogFindsUndeliveredActivityInTheTable(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.NewTableWithoutStream(t, client)
	store, ledger, backlog := dynamo.NewStore(client, table), dynamo.NewLedger(client, table), dynamo.NewBacklog(client, table)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ids := team.ULIDSource{}
	acts := map[string]team.Activity{}
	// add commits an activity of biz at minute m after t0, named name.
	add := func(name string, biz team.BusinessID, typ team.ActivityType, m int) {
		at := t0.Add(time.Duration(m) * time.Minute)
		owner := "owner@" + string(biz) + ".test"
		if _, ok := acts["owner-"+string(biz)]; !ok {
			o := team.User{BusinessID: biz, ID: "usr_" + string(biz), Email: owner, Permissions: team.Permissions{team.TabUsers}, CreatedAt: t0, UpdatedAt: t0, Version: 1}
			if err := store.CreateBusiness(ctx, team.Business{ID: biz, Name: string(biz), Tabs: team.Permissions{team.TabUsers}, CreatedAt: t0}, o); err != nil {
				t.Fatal(err)
			}
			acts["owner-"+string(biz)] = team.Activity{}
		}
		u := team.User{BusinessID: biz, ID: "usr_" + name, Email: name + "@" + string(biz) + ".test", Permissions: team.Permissions{}, CreatedAt: at, UpdatedAt: at, Version: 1}
		a := team.Activity{ID: ids.NewID(at), BusinessID: biz, Type: team.ActivityUserAdded, Actor: owner, Target: team.Person{ID: u.ID, Email: u.Email}, At: at}
		m1 := team.Mutation{BusinessID: biz, Actor: owner, After: &u, Activity: a}
		if typ != team.ActivityUserAdded {
			// A change of a user added the same instant: only its own
			// activity matters to the backlog.
			prev := u
			u.Version, u.Permissions = 2, team.Permissions{team.TabUsers}
			a.Type = typ
			m1 = team.Mutation{BusinessID: biz, Actor: owner, Before: &prev, After: &u, Activity: a}
			if err := store.Apply(ctx, team.Mutation{BusinessID: biz, Actor: owner, After: &prev,
				Activity: team.Activity{ID: ids.NewID(t0.Add(-time.Hour)), BusinessID: biz, Type: team.ActivityUserAdded, Actor: owner, At: t0.Add(-time.Hour)}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.Apply(ctx, m1); err != nil {
			t.Fatalf("apply %s: %v", name, err)
		}
		acts[name] = a
	}
	add("ann", "acme", team.ActivityUserAdded, 1)
	add("bo", "acme", team.ActivityUserAdded, 2)
	add("cy", "acme", team.ActivityPermissionsChanged, 3)
	add("di", "acme", team.ActivityUserAdded, 4)
	add("eve", "globex", team.ActivityUserAdded, 2)
	add("fay", "globex", team.ActivityUserAdded, 5)
	emailTypes := []team.ActivityType{team.ActivityUserAdded}
	mustMark := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Everything about ann went out; bo's event went out but not his
	// email; cy's permission change sends no email and its event went out;
	// di's email went out but not the event.
	mustMark(ledger.EmailSent(ctx, "acme", acts["ann"].ID, delivery.EmailWelcomeToTarget, "m1", t0))
	mustMark(ledger.EventPut(ctx, "acme", acts["ann"].ID, t0))
	mustMark(ledger.EventPut(ctx, "acme", acts["bo"].ID, t0))
	mustMark(ledger.EventPut(ctx, "acme", acts["cy"].ID, t0))
	mustMark(ledger.EmailSent(ctx, "acme", acts["di"].ID, delivery.EmailWelcomeToTarget, "m2", t0))
	// Everything about fay was refused for good: done, not retried.
	mustMark(ledger.EmailFailed(ctx, "globex", acts["fay"].ID, delivery.EmailWelcomeToTarget, "rejected", t0))
	mustMark(ledger.EventFailed(ctx, "globex", acts["fay"].ID, "rejected", t0))

	// Records of the first version, which delivered them itself and kept
	// no marks, are never undelivered: redelivering them over an upgraded
	// table would send every invite's welcome again.
	for _, biz := range []team.BusinessID{"acme", "globex"} {
		at := t0.Add(150 * time.Second)
		firstVersion{t: t, client: client, table: table, biz: biz}.activity(ids.NewID(at), team.ActivityUserAdded, "gus@"+string(biz)+".test", at)
	}

	found := func(q delivery.BacklogQuery) [][]string {
		t.Helper()
		q.EmailTypes = emailTypes
		var pages [][]string
		err := backlog.Undelivered(ctx, q, func(records []delivery.Record) error {
			var page []string
			for _, r := range records {
				if r.Err != nil {
					t.Errorf("record %s: %v", r.ID, r.Err)
				}
				name := "unexpected " + string(r.Activity.BusinessID) + "/" + r.ID
				for n, a := range acts {
					if a.ID == r.Activity.ID && a.BusinessID == r.Activity.BusinessID && r.ID == a.ID {
						name = n
					}
				}
				page = append(page, name)
			}
			pages = append(pages, page)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return pages
	}
	for _, tc := range []struct {
		name string
		q    delivery.BacklogQuery
		want [][]string
	}{
		// The setup's own UserAdded records of cy (an hour before t0) are
		// undelivered too; the ranges below leave them out.
		{"every business, from t0", delivery.BacklogQuery{Since: t0}, [][]string{{"bo", "di"}, {"eve"}}},
		{"one business", delivery.BacklogQuery{BusinessID: "globex"}, [][]string{{"eve"}}},
		{"a time range, until exclusive", delivery.BacklogQuery{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)}, [][]string{{"bo"}, {"eve"}}},
		{"an empty range", delivery.BacklogQuery{Since: t0.Add(time.Hour), Until: t0}, nil},
		{"a business without a backlog", delivery.BacklogQuery{BusinessID: "initech"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, found(tc.q)); diff != "" {
				t.Errorf("pages of undelivered records (-want +got):\n%s", diff)
			}
		})
	}
}
