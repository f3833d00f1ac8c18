package dynamo_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// fiftyInvitations are a full invite-several request, each entry with a
// name and a phone as a pasted CSV gives them; tag keeps runs apart.
func fiftyInvitations(tag string) []team.Invitation {
	in := make([]team.Invitation, team.MaxInvitesPerRequest)
	for i := range in {
		in[i] = team.Invitation{Email: fmt.Sprintf("p%d-%s@example.com", i, tag), FirstName: "Pat", LastName: fmt.Sprintf("Number %d", i),
			Phone: fmt.Sprintf("+1 415 555 %04d", i)}
	}
	return in
}

// TestInviteSeveralOnDynamoDB: fifty entries applied concurrently, with a
// repeated address among them, each get the single invite's answer, and
// the count stays exact.
func TestInviteSeveralOnDynamoDB(t *testing.T) {
	e := newEnv(t)
	e.business(t, "acme", "owner@acme.test")
	in := fiftyInvitations("t")
	in[49].Email = in[3].Email
	results, err := e.svc.InviteSeveral(e.ctx, "owner@acme.test", "acme", in)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		want := team.Code("")
		if i == 49 {
			want = team.CodeUserExists
		}
		if got := team.ErrorCode(r.Err); got != want {
			t.Errorf("entry %d: %v, want code %q", i, r.Err, want)
		}
	}
	if got := len(e.users(t, "acme")); got != 50 {
		t.Errorf("%d users after inviting 49 to the owner, want 50", got)
	}
	biz, err := e.store.Business(e.ctx, "acme")
	if err != nil || biz.Total != 50 {
		t.Errorf("total %d (%v), want 50", biz.Total, err)
	}
}

// benchRuns numbers the businesses BenchmarkInviteSeveral50 creates.
var benchRuns atomic.Int64

// BenchmarkInviteSeveral50 times one request of fifty new invitations on
// DynamoDB Local, one entry at a time and a few at a time.
func BenchmarkInviteSeveral50(b *testing.B) {
	client := dynamotest.Client(b)
	store := dynamo.NewStore(client, dynamotest.NewTableWithoutStream(b, client))
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			svc := team.NewService(store, team.SystemClock{}, team.ULIDSource{}, phone.Normalizer{},
				team.WithEmailBudget(unlimitedForTests), team.WithInviteSeveralWorkers(workers))
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				// A new business each time, also across -count runs.
				biz := team.BusinessID(fmt.Sprintf("bench-%d-%d", workers, benchRuns.Add(1)))
				if err := store.CreateBusiness(ctx, team.Business{ID: biz, Name: "Bench", Tabs: allTabs},
					team.User{BusinessID: biz, ID: "usr_owner", Email: "owner@bench.test", Permissions: allTabs, Version: 1}); err != nil {
					b.Fatal(err)
				}
				in := fiftyInvitations(biz.String())
				b.StartTimer()
				results, err := svc.InviteSeveral(ctx, "owner@bench.test", biz, in)
				if err != nil {
					b.Fatal(err)
				}
				for i, r := range results {
					if r.Err != nil {
						b.Fatalf("entry %d: %v", i, r.Err)
					}
				}
			}
		})
	}
}
