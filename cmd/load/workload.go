package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// allTabs are the tabs every business of a run enables.
func allTabs() []string {
	return []string{"home", "conversations", "crm", "store", "automations", "reports", "administration", "users"}
}

// tenant is one business of the run, its owner (who sends the load), and
// what the load believes about its team, to pick targets from. The belief
// can lag behind the truth (other clients act at the same time), which is
// realistic: a 404 or 409 from a stale page is part of the load.
type tenant struct {
	id     string
	owner  string
	token  string
	domain string // every email of this business ends in @domain

	mu      sync.Mutex
	present emailSet // users the load may edit or remove: never the owner
	removed emailSet // removed users, to invite again
}

func (t *tenant) path(rest string) string { return "/v1/businesses/" + t.id + rest }

func (t *tenant) userPath(email, rest string) string {
	return t.path("/users/" + url.PathEscape(email) + rest)
}

// pick returns a random user of the set, if there is one.
func (t *tenant) pick(rng *rand.Rand, set *emailSet) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return set.pick(rng)
}

func (t *tenant) moved(email string, from, to *emailSet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if from != nil {
		from.remove(email)
	}
	if to != nil {
		to.add(email)
	}
}

// emailSet is a set with random picks.
type emailSet struct {
	list  []string
	index map[string]int
}

func (s *emailSet) add(e string) {
	if s.index == nil {
		s.index = map[string]int{}
	}
	if _, ok := s.index[e]; !ok {
		s.index[e] = len(s.list)
		s.list = append(s.list, e)
	}
}

func (s *emailSet) remove(e string) {
	i, ok := s.index[e]
	if !ok {
		return
	}
	last := s.list[len(s.list)-1]
	s.list[i], s.index[last] = last, i
	s.list = s.list[:len(s.list)-1]
	delete(s.index, e)
}

func (s *emailSet) pick(rng *rand.Rand) (string, bool) {
	if len(s.list) == 0 {
		return "", false
	}
	return s.list[rng.IntN(len(s.list))], true
}

// worker is one client of the load.
type worker struct {
	client  *apiClient
	tenants []*tenant
	ledger  *ledger
	rng     *rand.Rand
	serial  *atomic.Int64 // shared: makes every new email of the run unique
}

// scenario is one kind of thing a client does, with its share of the mix.
type scenario struct {
	weight int
	run    func(w *worker, ctx context.Context, t *tenant)
}

// mix is the request mix: reads dominate, as on the page (every visit
// lists; edits follow a list), and a few scenarios race on purpose.
func mix() []scenario {
	return []scenario{
		{22, (*worker).listUsers},
		{12, (*worker).getUser},
		{5, (*worker).listTabs},
		{5, (*worker).listActivity},
		{14, (*worker).invite},
		{3, (*worker).reinvite},
		{4, (*worker).duplicateInvite},
		{3, (*worker).raceInvite},
		{10, (*worker).setPermissions},
		{9, (*worker).updateContact},
		{2, (*worker).changeEmail},
		{4, (*worker).raceEdit},
		{6, (*worker).remove},
		{1, (*worker).raceManagers},
	}
}

// step runs one scenario, picked by weight, in a random business.
func (w *worker) step(ctx context.Context, scenarios []scenario, total int) {
	t := w.tenants[w.rng.IntN(len(w.tenants))]
	n := w.rng.IntN(total)
	for _, s := range scenarios {
		if n < s.weight {
			s.run(w, ctx, t)
			return
		}
		n -= s.weight
	}
}

// newEmail returns an address no other request of the run has used.
func (w *worker) newEmail(t *tenant, kind string) string {
	return fmt.Sprintf("%s%d@%s", kind, w.serial.Add(1), t.domain)
}

// typed is an email as a person might type it: sometimes in capitals, or
// with spaces around it. The API must treat it as the same address.
func (w *worker) typed(email string) string {
	switch w.rng.IntN(4) {
	case 0:
		return strings.ToUpper(email)
	case 1:
		return "  " + email + " "
	}
	return email
}

func (w *worker) permissions() []string {
	var out []string
	for _, tab := range allTabs() {
		if w.rng.IntN(2) == 0 {
			out = append(out, tab)
		}
	}
	if out == nil {
		out = []string{} // an empty set is valid: the user sees nothing yet
	}
	return out
}

func (w *worker) phone() string { return fmt.Sprintf("+1 (415) 555-%04d", w.rng.IntN(10000)) }

func (w *worker) listUsers(ctx context.Context, t *tenant) {
	r := w.client.call(ctx, "ListUsers", "GET", t.path("/users?limit=50"), t.token, nil)
	var page struct{ NextCursor *string }
	// A third of the visits read a second page.
	if r.status == http.StatusOK && r.decode(&page) == nil && page.NextCursor != nil && w.rng.IntN(3) == 0 {
		w.client.call(ctx, "ListUsers", "GET", t.path("/users?limit=50&cursor="+url.QueryEscape(*page.NextCursor)), t.token, nil)
	}
}

func (w *worker) getUser(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		email = t.owner
	}
	w.client.call(ctx, "GetUser", "GET", t.userPath(w.typed(email), ""), t.token, nil)
}

func (w *worker) listTabs(ctx context.Context, t *tenant) {
	w.client.call(ctx, "ListTabs", "GET", t.path("/tabs"), t.token, nil)
}

func (w *worker) listActivity(ctx context.Context, t *tenant) {
	w.client.call(ctx, "ListActivity", "GET", t.path("/activity?limit=50"), t.token, nil)
}

// inviteBody is an invite as the page sends it; permissions are sometimes
// left out, so they default to every enabled tab.
func (w *worker) inviteBody(email string) map[string]any {
	body := map[string]any{"email": w.typed(email), "firstName": "Load", "lastName": "Test", "phone": w.phone()}
	if w.rng.IntN(4) > 0 {
		body["permissions"] = w.permissions()
	}
	return body
}

// invited records an invite's outcome in the ledger and the belief.
func (w *worker) invited(t *tenant, email string, r reply) {
	switch r.status {
	case http.StatusCreated:
		w.ledger.invited(t.id, email)
		t.moved(email, &t.removed, &t.present)
	case 0, http.StatusServiceUnavailable: // no answer, or past the deadline: outcome unknown
		w.ledger.unanswered(t.id, email)
	}
}

func (w *worker) invite(ctx context.Context, t *tenant) {
	email := w.newEmail(t, "user")
	w.invited(t, email, w.client.call(ctx, "InviteUser", "POST", t.path("/users"), t.token, w.inviteBody(email)))
}

// reinvite invites a removed user again: they must get a new welcome email.
func (w *worker) reinvite(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.removed)
	if !ok {
		w.invite(ctx, t)
		return
	}
	w.invited(t, email, w.client.call(ctx, "InviteUser(again)", "POST", t.path("/users"), t.token, w.inviteBody(email)))
}

// duplicateInvite invites someone who is already a user: 409 user_exists
// (or 201 if another client removed them in the meantime).
func (w *worker) duplicateInvite(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		email = t.owner
	}
	body := w.inviteBody(email)
	body["email"] = strings.ToUpper(email) // the same user, typed differently
	w.invited(t, email, w.client.call(ctx, "InviteUser(duplicate)", "POST", t.path("/users"), t.token, body))
}

// both sends two requests at the same instant and returns both replies.
func both(first, second func() reply) (reply, reply) {
	var (
		wg   sync.WaitGroup
		a, b reply
	)
	start := make(chan struct{})
	wg.Go(func() { <-start; a = first() })
	wg.Go(func() { <-start; b = second() })
	close(start)
	wg.Wait()
	return a, b
}

// raceInvite invites the same new address twice at once: exactly one
// invite may succeed (I1).
func (w *worker) raceInvite(ctx context.Context, t *tenant) {
	email := w.newEmail(t, "race")
	send := func(body map[string]any) func() reply {
		return func() reply { return w.client.call(ctx, "InviteUser(race)", "POST", t.path("/users"), t.token, body) }
	}
	a, b := both(send(w.inviteBody(email)), send(w.inviteBody(email)))
	w.invited(t, email, a)
	w.invited(t, email, b)
	if a.status != 0 && b.status != 0 {
		created := btoi(a.status == http.StatusCreated) + btoi(b.status == http.StatusCreated)
		w.ledger.race(raceDuplicateInvite, created != 1)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *worker) setPermissions(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		w.invite(ctx, t)
		return
	}
	w.client.call(ctx, "SetPermissions", "PUT", t.userPath(email, "/permissions"), t.token, map[string]any{"permissions": w.permissions()})
}

func (w *worker) contactPatch() map[string]any {
	patch := map[string]any{}
	for len(patch) == 0 {
		if w.rng.IntN(2) == 0 {
			patch["firstName"] = fmt.Sprintf("First%d", w.rng.IntN(100))
		}
		if w.rng.IntN(2) == 0 {
			patch["lastName"] = fmt.Sprintf("Last%d", w.rng.IntN(100))
		}
		if w.rng.IntN(3) == 0 {
			patch["phone"] = w.phone()
		}
	}
	return patch
}

func (w *worker) updateContact(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		w.invite(ctx, t)
		return
	}
	w.client.call(ctx, "UpdateContact", "PATCH", t.userPath(email, ""), t.token, w.contactPatch())
}

// changeEmail moves a user to a new address: the old record goes and the
// new one comes in one transaction (I1).
func (w *worker) changeEmail(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		w.invite(ctx, t)
		return
	}
	next := w.newEmail(t, "moved")
	r := w.client.call(ctx, "UpdateContact(email)", "PATCH", t.userPath(email, ""), t.token, map[string]any{"email": w.typed(next)})
	switch r.status {
	case http.StatusOK:
		w.ledger.emailChanged(t.id, email, next)
		t.moved(email, &t.present, nil)
		t.moved(next, nil, &t.present)
	case 0, http.StatusServiceUnavailable: // no answer, or past the deadline: outcome unknown
		w.ledger.unanswered(t.id, email)
		w.ledger.unanswered(t.id, next)
	case http.StatusNotFound:
		t.moved(email, &t.present, nil)
	}
}

// raceEdit sends two edits of one user at once. Half the time both carry
// the If-Match of the version just read: at most one may apply, the other
// gets 412. Otherwise they are unconditional (a permission edit and a
// contact edit) and both apply, one recomputed after the other.
func (w *worker) raceEdit(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		w.invite(ctx, t)
		return
	}
	if w.rng.IntN(2) == 0 {
		// The bodies are made here: the random source is not for two goroutines.
		perms, patch := map[string]any{"permissions": w.permissions()}, w.contactPatch()
		both(func() reply {
			return w.client.call(ctx, "SetPermissions(race)", "PUT", t.userPath(email, "/permissions"), t.token, perms)
		}, func() reply {
			return w.client.call(ctx, "UpdateContact(race)", "PATCH", t.userPath(email, ""), t.token, patch)
		})
		return
	}
	got := w.client.call(ctx, "GetUser", "GET", t.userPath(email, ""), t.token, nil)
	etag := got.header.Get("ETag")
	if got.status != http.StatusOK || etag == "" {
		return
	}
	edit := func(last string) func() reply {
		return func() reply {
			return w.client.call(ctx, "UpdateContact(If-Match race)", "PATCH", t.userPath(email, ""), t.token,
				map[string]any{"lastName": last}, "If-Match", etag)
		}
	}
	// Both edits change the name to one it never had: an edit that changes
	// nothing rightly answers 200 without writing, and would not race.
	n := w.serial.Add(1)
	a, b := both(edit(fmt.Sprintf("RaceA%d", n)), edit(fmt.Sprintf("RaceB%d", n)))
	if a.status != 0 && b.status != 0 {
		w.ledger.race(raceIfMatch, a.status == http.StatusOK && b.status == http.StatusOK)
	}
}

func (w *worker) remove(ctx context.Context, t *tenant) {
	email, ok := t.pick(w.rng, &t.present)
	if !ok {
		w.invite(ctx, t)
		return
	}
	w.removed(t, email, w.client.call(ctx, "RemoveUser", "DELETE", t.userPath(email, ""), t.token, nil))
}

func (w *worker) removed(t *tenant, email string, r reply) {
	switch r.status {
	case http.StatusNoContent:
		w.ledger.removedUser(t.id, email)
		t.moved(email, &t.present, &t.removed)
	case http.StatusNotFound:
		t.moved(email, &t.present, nil)
	case 0, http.StatusServiceUnavailable: // no answer, or past the deadline: outcome unknown
		w.ledger.unanswered(t.id, email)
	}
}

// raceManagers makes two new managers and has each remove the other at the
// same instant: DynamoDB serialises the two transactions and the second
// one's check of its caller fails, so never both go (I3). The two stay out
// of the belief, so nothing else touches them.
func (w *worker) raceManagers(ctx context.Context, t *tenant) {
	var pair [2]string
	var tokens [2]string
	for i := range pair {
		pair[i] = w.newEmail(t, "manager")
		body := map[string]any{"email": pair[i], "permissions": []string{"administration", "users"}}
		r := w.client.call(ctx, "InviteUser(manager)", "POST", t.path("/users"), t.token, body)
		if r.status == 0 || r.status == http.StatusServiceUnavailable {
			w.ledger.unanswered(t.id, pair[i])
		}
		if r.status != http.StatusCreated {
			return
		}
		w.ledger.invited(t.id, pair[i])
		tok, err := w.client.token(ctx, pair[i])
		if err != nil {
			return
		}
		tokens[i] = tok
	}
	removeOther := func(i int) func() reply {
		return func() reply {
			return w.client.call(ctx, "RemoveUser(manager race)", "DELETE", t.userPath(pair[1-i], ""), tokens[i], nil)
		}
	}
	a, b := both(removeOther(0), removeOther(1))
	for i, r := range []reply{a, b} {
		switch r.status {
		case http.StatusNoContent:
			w.ledger.removedUser(t.id, pair[1-i])
		case 0, http.StatusServiceUnavailable:
			w.ledger.unanswered(t.id, pair[1-i])
		}
	}
	if a.status != 0 && b.status != 0 {
		w.ledger.race(raceManagers, a.status == http.StatusNoContent && b.status == http.StatusNoContent)
		w.ledger.managerPair(t.id, pair)
	}
}
