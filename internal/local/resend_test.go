package local_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/team"
)

// validUntil is how a welcome email writes an invitation's expiry.
const validUntil = "Monday 2 January 2006 at 15:04 UTC"

// startWithStore starts the local stack on a table the test can also
// reach through the store, to set up what the API can only reach in time
// (an invitation sent long ago). Its requests have a minute, not 5 s: on a
// busy machine DynamoDB Local may take seconds to decide a race of
// transactions on one item, and these tests are about the resend's rules,
// not I11.
func startWithStore(t *testing.T) (*local.Stack, *dynamo.Store) {
	t.Helper()
	db := dynamotest.Client(t)
	table := dynamotest.NewTable(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	stack, err := local.Start(ctx, local.Config{
		Addr: "127.0.0.1:0", DynamoDBEndpoint: dynamodblocal.EndpointFromEnv(), TableName: table,
		RequestTimeout: time.Minute, InviteRate: lambdaenv.MaxInviteRate,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: io.Discard,
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stack.Stop() })
	return stack, dynamo.NewStore(db, table)
}

// seedInvitee stores an invited user of the demo business whose invitation
// was sent at sentAt and expires at expires, as an invite then would have
// left them, without an activity record (so no email of its own).
func seedInvitee(t *testing.T, store *dynamo.Store, email string, sentAt, expires time.Time) {
	t.Helper()
	sentAt, expires = sentAt.UTC().Truncate(time.Millisecond), expires.UTC().Truncate(time.Millisecond)
	u := team.User{BusinessID: local.DemoBusiness, ID: team.UserIDPrefix + team.ULIDSource{}.NewID(sentAt), Email: email,
		Permissions: team.Permissions{team.TabHome}, InvitedBy: local.DemoOwner, CreatedAt: sentAt, UpdatedAt: sentAt, Version: 1,
		Status: team.StatusInvited, InvitationSentAt: sentAt, InvitationExpiresAt: expires}
	if err := store.Apply(context.Background(), team.Mutation{BusinessID: local.DemoBusiness, Actor: local.DemoOwner, After: &u,
		SkipActivity: true, Activity: team.Activity{ID: team.ULIDSource{}.NewID(time.Now()), BusinessID: local.DemoBusiness}}); err != nil {
		t.Fatalf("seed %s: %v", email, err)
	}
}

type invitedUser struct {
	Status              string
	InvitationExpiresAt time.Time
	Version             int
}

// The lifecycle of SPEC §2.3 end to end, through kumo: the invite's
// welcome email says until when the invitation is valid; an expired
// invitation refuses its invitee until a manager resends it, and the
// resend's welcome email states the new expiry; a resend within 5 minutes
// is refused with the wait; an active user has nothing to resend.
func TestResendInvitationEndToEnd(t *testing.T) {
	stack, store := startWithStore(t)
	owner := &client{t: t, base: stack.URL}
	owner.signIn(local.DemoOwner)

	var fresh invitedUser
	expect(t, "invite", owner.do("POST", "/v1/businesses/demo/users", `{"email":"resend-fresh@example.com"}`, &fresh), 201)
	eventually(t, "the invite's welcome email", func() bool { return len(owner.emailsTo("resend-fresh@example.com")) == 1 })
	if e := owner.emailsTo("resend-fresh@example.com"); len(e) == 1 {
		want := "valid until " + fresh.InvitationExpiresAt.UTC().Format(validUntil)
		if !strings.Contains(e[0].Text, want) || !strings.Contains(e[0].HTML, fresh.InvitationExpiresAt.UTC().Format(validUntil)) {
			t.Errorf("the invite's welcome email does not say %q:\n%s", want, e[0].Text)
		}
	}
	var refused apiError
	resp := owner.do("POST", "/v1/businesses/demo/users/resend-fresh@example.com/invitation", "", &refused)
	expect(t, "resend at once", resp, 429)
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 240 || secs > 301 || refused.Error.Code != team.CodeRateLimited {
		t.Errorf("resend at once: Retry-After %q, code %s; want the seconds left of 5 minutes since the invite, rate_limited", resp.Header.Get("Retry-After"), refused.Error.Code)
	}

	now := time.Now()
	seedInvitee(t, store, "resend-late@example.com", now.Add(-15*24*time.Hour), now.Add(-24*time.Hour))
	late := &client{t: t, base: stack.URL}
	late.signIn("resend-late@example.com")
	var expired apiError
	expect(t, "the expired invitee's request", late.do("GET", "/v1/businesses/demo/tabs", "", &expired), 403)
	if expired.Error.Code != team.CodeInvitationExpired {
		t.Errorf("the expired invitee got %s, want invitation_expired", expired.Error.Code)
	}

	var resent invitedUser
	expect(t, "resend the expired invitation", owner.do("POST", "/v1/businesses/demo/users/resend-late@example.com/invitation", "", &resent), 200)
	if resent.Status != "invited" || resent.Version != 2 || resent.InvitationExpiresAt.Sub(now) < 14*24*time.Hour-time.Minute {
		t.Errorf("resent user = %+v, want invited at version 2, expiring 14 days from now", resent)
	}
	eventually(t, "the resend's welcome email and event", func() bool {
		return len(owner.emailsTo("resend-late@example.com")) == 1 && len(owner.eventsFor("demo", "resend-late@example.com")) == 1
	})
	if e := owner.emailsTo("resend-late@example.com"); len(e) == 1 {
		want := "valid until " + resent.InvitationExpiresAt.UTC().Format(validUntil)
		if !strings.Contains(e[0].Text, want) || !strings.Contains(e[0].Subject, "Demo Business") {
			t.Errorf("the resend's welcome email does not name the business and say %q: %s\n%s", want, e[0].Subject, e[0].Text)
		}
	}
	if got := owner.eventsFor("demo", "resend-late@example.com"); len(got) != 1 || got[0] != "UserInvitationResent" {
		t.Errorf("events = %v, want one UserInvitationResent", got)
	}

	// Admitted again: the first request activates; then nothing to resend.
	expect(t, "the invitee's request after the resend", late.do("GET", "/v1/businesses/demo/tabs", "", nil), 200)
	var active apiError
	expect(t, "resend to an active user", owner.do("POST", "/v1/businesses/demo/users/resend-late@example.com/invitation", "", &active), 409)
	if active.Error.Code != team.CodeAlreadyActive {
		t.Errorf("resend to an active user: %s, want already_active", active.Error.Code)
	}
}

// The addresses are the test's own: under make test, with race@example.com,
// this test's /dev/emails and /dev/events also listed the welcome email and
// UserAdded of TestConcurrentInvitesMakeOneEmailAndOneEvent's invite.
//
// SPEC §4 and I10 under concurrency, on DynamoDB Local: ten managers'
// resends of one invitation at once make one resend (200), nine refusals
// (429 with the seconds until 5 minutes after it) and exactly one welcome
// email and one event.
func TestConcurrentResendsSendOneEmail(t *testing.T) {
	stack, store := startWithStore(t)
	c := &client{t: t, base: stack.URL}
	c.signIn(local.DemoOwner)
	now := time.Now()
	seedInvitee(t, store, "resend-race@example.com", now.Add(-time.Hour), now.Add(24*time.Hour))

	var wg sync.WaitGroup
	resps := make([]*http.Response, 10)
	for i := range resps {
		wg.Go(func() {
			resps[i] = c.do("POST", "/v1/businesses/demo/users/resend-race@example.com/invitation", "", nil)
		})
	}
	wg.Wait()
	statuses := map[int]int{}
	for _, resp := range resps {
		statuses[resp.StatusCode]++
		if resp.StatusCode != 429 {
			continue
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 290 || secs > 301 {
			t.Errorf("Retry-After = %q, want the seconds until 5 minutes after the resend that won", resp.Header.Get("Retry-After"))
		}
	}
	if statuses[200] != 1 || statuses[429] != len(resps)-1 {
		t.Fatalf("statuses = %v, want one 200 and %d × 429", statuses, len(resps)-1)
	}
	eventually(t, "the welcome email and the event", func() bool {
		return len(c.emailsTo("resend-race@example.com")) >= 1 && len(c.eventsFor("demo", "resend-race@example.com")) >= 1
	})
	// Give a duplicate every chance to show up before counting.
	time.Sleep(500 * time.Millisecond)
	if n := len(c.emailsTo("resend-race@example.com")); n != 1 {
		t.Errorf("welcome emails = %d, want 1", n)
	}
	if got := c.eventsFor("demo", "resend-race@example.com"); len(got) != 1 || got[0] != "UserInvitationResent" {
		t.Errorf("events = %v, want one UserInvitationResent", got)
	}
}
