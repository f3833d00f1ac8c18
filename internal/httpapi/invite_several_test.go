package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// entryOutcome is what a client reads of one result of invite several.
type entryOutcome struct {
	Email  string
	Status int
	Code   string // "" for 201
	User   bool   // a user came back
}

func inviteSeveralOutcomes(t *testing.T, rec *httptest.ResponseRecorder) []entryOutcome {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	var body struct {
		Results []struct {
			Email  string
			Status int
			User   *struct{ Email string }
			Error  *struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	out := make([]entryOutcome, len(body.Results))
	for i, r := range body.Results {
		out[i] = entryOutcome{Email: r.Email, Status: r.Status, User: r.User != nil}
		if r.Error != nil {
			out[i].Code = r.Error.Code
		}
	}
	return out
}

func inviteSeveral(body string) apiCall {
	return apiCall{caller: acmeOwner, method: http.MethodPost, path: acmeInvitationsPath, body: body}
}

// TestInviteSeveralAnswersEachEntryAsTheSingleInvite: one duplicate, an
// existing user and an invalid row do not sink the rest; the results come
// back in input order, and the invited people are in the list afterwards.
func TestInviteSeveralAnswersEachEntryAsTheSingleInvite(t *testing.T) {
	s := newTestStack(t)
	rec := s.do(inviteSeveral(`{"users":[
		{"email":"Cy@Example.com","firstName":"Cy","phone":"+1 (415) 555-0123"},
		{"email":"bob@example.com"},
		{"email":"not an address"},
		{"email":"cy@example.com"},
		{"email":"dee@example.com","permissions":["store"]},
		{"email":"eve@example.com","permissions":["home"]}]}`))
	want := []entryOutcome{
		{"cy@example.com", 201, "", true},
		{"bob@example.com", 409, "user_exists", false},
		{"not an address", 400, "invalid_request", false},
		{"cy@example.com", 409, "user_exists", false}, // the earlier entry won, as if sent one after the other
		{"dee@example.com", 400, "invalid_request", false},
		{"eve@example.com", 201, "", true},
	}
	if d := cmp.Diff(want, inviteSeveralOutcomes(t, rec)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	for _, email := range []string{"cy@example.com", "eve@example.com"} {
		s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeUsersPath + "/" + email}, http.StatusOK)
	}
}

// TestInviteSeveralCountsEachEntryAgainstTheEmailBudget: each entry sends
// a welcome email, so the entries beyond the hour's budget are 429, each on
// its own, and only the others are written. (The seeded stack has spent
// two of the budget, as spendEmailBudget says.)
func TestInviteSeveralCountsEachEntryAgainstTheEmailBudget(t *testing.T) {
	s := newTestStack(t)
	entries := make([]string, testEmailBudget)
	for i := range entries {
		entries[i] = fmt.Sprintf(`{"email":"p%d@example.com"}`, i)
	}
	got := inviteSeveralOutcomes(t, s.do(inviteSeveral(`{"users":[`+strings.Join(entries, ",")+`]}`)))
	count := map[int]int{}
	for _, r := range got {
		count[r.Status]++
		status := http.StatusOK
		if r.Status != http.StatusCreated {
			status = http.StatusNotFound
		}
		s.mustDo(t, apiCall{caller: acmeOwner, method: http.MethodGet, path: acmeUsersPath + "/" + r.Email}, status)
	}
	if d := cmp.Diff(map[int]int{201: testEmailBudget - 2, 429: 2}, count); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
}

// TestInviteSeveralRefusesAMalformedRequestWhole: too many entries, none, a
// malformed entry or a body that is not the list is 400 and writes nothing.
func TestInviteSeveralRefusesAMalformedRequestWhole(t *testing.T) {
	entries := func(n int) string {
		list := make([]string, n)
		for i := range list {
			list[i] = fmt.Sprintf(`{"email":"p%d@example.com"}`, i)
		}
		return strings.Join(list, ",")
	}
	for _, tc := range []struct{ name, body, field string }{
		{"51 entries", `{"users":[` + entries(51) + `]}`, "users"},
		{"no entries", `{"users":[]}`, "users"},
		{"no list", `{"users":{"email":"a@example.com"}}`, "users"},
		{"null", `{"users":null}`, "users"},
		{"an entry that is not an object", `{"users":[` + entries(3) + `,"d@example.com"]}`, "users[3]"},
		{"an unknown field in an entry", `{"users":[` + entries(3) + `,{"email":"d@example.com","role":"admin"}]}`, "users[3]"},
		{"a phone that is a number", `{"users":[{"email":"d@example.com","phone":4155550100}]}`, "users[0]"},
		{"an unknown field beside users", `{"users":[` + entries(1) + `],"sendEmail":false}`, "sendEmail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStack(t)
			writes := s.store.AppliedCount()
			assertError(t, s.do(inviteSeveral(tc.body)), http.StatusBadRequest, "invalid_request", tc.field)
			if s.store.AppliedCount() != writes {
				t.Errorf("a refused request wrote %d changes", s.store.AppliedCount()-writes)
			}
		})
	}
	// 50 entries is the limit, not over it.
	s := newTestStack(t)
	if got := inviteSeveralOutcomes(t, s.do(inviteSeveral(`{"users":[`+entries(50)+`]}`))); len(got) != 50 {
		t.Errorf("%d results for 50 entries", len(got))
	}
}

// notAttemptedService answers invite several with its first entry invited
// and the rest not attempted, as the service does when the deadline nears.
type notAttemptedService struct{ failingService }

func (notAttemptedService) InviteSeveral(_ context.Context, _ string, _ team.BusinessID, in []team.Invitation) ([]team.InviteResult, error) {
	out := make([]team.InviteResult, len(in))
	out[0].User = team.User{BusinessID: "acme", ID: "usr_cy", Email: in[0].Email, Status: team.StatusInvited, Version: 1}
	for i := 1; i < len(in); i++ {
		out[i].Err = fmt.Errorf("invite several: %w", team.ErrNotAttempted)
	}
	return out, nil
}

// TestInviteSeveralSaysWhichEntriesWereNotAttempted: at the deadline the
// entries never started are 503 unavailable with a message that says so,
// and the request still answers every entry.
func TestInviteSeveralSaysWhichEntriesWereNotAttempted(t *testing.T) {
	h := httpapi.New(notAttemptedService{}, slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()
	c := specCall{name: "not attempted", caller: acmeOwner, method: http.MethodPost, path: acmeInvitationsPath,
		body: `{"users":[{"email":"cy@example.com"},{"email":"dee@example.com"}]}`, status: http.StatusOK}
	checkAgainstSpec(t, h, c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newSpecRequest(c))
	want := []entryOutcome{{"cy@example.com", 201, "", true}, {"dee@example.com", 503, "unavailable", false}}
	if d := cmp.Diff(want, inviteSeveralOutcomes(t, rec)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	if !strings.Contains(rec.Body.String(), "Not attempted") {
		t.Errorf("the not-attempted entry does not say so: %s", rec.Body)
	}
}
