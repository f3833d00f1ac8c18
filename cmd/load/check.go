package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// key is a user of a business.
type key struct{ business, email string }

// Race kinds the ledger counts.
const (
	raceDuplicateInvite = "racing duplicate invites"
	raceIfMatch         = "racing edits with the same If-Match"
	raceManagers        = "two managers removing each other"
)

// ledger is what the run saw committed, by the answers it got: the truth
// the final state and the deliveries are checked against.
type ledger struct {
	mu       sync.Mutex
	invites  map[key]int
	removals map[key]int
	// emailChanges and notices count a manager's changes of an email by
	// the new and the old address: each sends a welcome email to the new
	// one and a notice to the old one (SPEC §2.5).
	emailChanges map[key]int
	notices      map[key]int
	// unsure counts, per user, the requests that got no answer, or 503
	// unavailable (the deadline passed: SPEC I11 keeps the write whole or
	// absent, but which one is unknown): each may or may not have been
	// applied, so their counts are checked loosely, up to one more per
	// such request.
	unsure     map[key]int
	races      map[string][2]int // kind → runs, violations
	pairs      map[string][][2]string
	businesses []string
}

func newLedger() *ledger {
	return &ledger{invites: map[key]int{}, removals: map[key]int{}, emailChanges: map[key]int{}, notices: map[key]int{}, unsure: map[key]int{},
		races: map[string][2]int{}, pairs: map[string][][2]string{}}
}

func (l *ledger) invited(business, email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.invites[key{business, email}]++
}

func (l *ledger) emailChanged(business, from, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emailChanges[key{business, to}]++
	l.notices[key{business, from}]++
}

func (l *ledger) removedUser(business, email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.removals[key{business, email}]++
}

func (l *ledger) unanswered(business, email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unsure[key{business, email}]++
}

func (l *ledger) race(kind string, violated bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.races[kind]
	r[0]++
	if violated {
		r[1]++
	}
	l.races[kind] = r
}

func (l *ledger) managerPair(business string, pair [2]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pairs[business] = append(l.pairs[business], pair)
}

// expected returns how many welcome emails and UserAdded plus UserRemoved
// events the run must at least see delivered.
func (l *ledger) expected() (emails, events int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.invites {
		emails += n
	}
	events = emails
	for _, counts := range []map[key]int{l.emailChanges, l.notices} {
		for _, n := range counts {
			emails += n
		}
	}
	for _, n := range l.removals {
		events += n
	}
	return emails, events
}

// checker checks the invariants of SPEC §3 after a run.
type checker struct {
	client  *apiClient
	ledger  *ledger
	tenants []*tenant
	stats   *stats
}

func (c *checker) verdicts(ctx context.Context, d drainResult) []verdict {
	var out []verdict
	out = append(out, c.finalState(ctx)...)
	out = append(out, c.welcomeEmails(d), c.events(d, "UserAdded", c.ledger.invites), c.events(d, "UserRemoved", c.ledger.removals))
	c.ledger.mu.Lock()
	for _, kind := range []string{raceDuplicateInvite, raceIfMatch, raceManagers} {
		r := c.ledger.races[kind]
		out = append(out, verdict{name: kind, ok: r[1] == 0,
			detail: fmt.Sprintf("%d races, %d where both succeeded or neither did when one must", r[0], r[1])})
	}
	c.ledger.mu.Unlock()
	n := c.stats.fiveXX.Load()
	out = append(out, verdict{name: "no 5xx", ok: n == 0, detail: fmt.Sprintf("%d answers with a 5xx status", n)})
	return out
}

type listedUser struct {
	Email       string   `json:"email"`
	FirstName   *string  `json:"firstName"`
	LastName    *string  `json:"lastName"`
	Status      string   `json:"status"`
	Permissions []string `json:"permissions"`
}

// listAll reads every page of a business's users as its owner.
func (c *checker) listAll(ctx context.Context, t *tenant) ([]listedUser, error) {
	return c.list(ctx, t, "")
}

// list reads every page of a business's users under a query string (q=,
// status=, tab=, sort=; "" for the plain list) as its owner.
func (c *checker) list(ctx context.Context, t *tenant, query string) ([]listedUser, error) {
	var users []listedUser
	cursor := ""
	for {
		path := t.path("/users?limit=100")
		if query != "" {
			path += "&" + query
		}
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := c.client.call(ctx, "", "GET", path, t.token, nil)
		var page struct {
			Users      []listedUser
			NextCursor *string
		}
		if r.status != http.StatusOK || r.decode(&page) != nil {
			return nil, fmt.Errorf("list users of %s (%s): %s", t.id, query, r.outcome())
		}
		users = append(users, page.Users...)
		if page.NextCursor == nil {
			return users, nil
		}
		cursor = *page.NextCursor
	}
}

// indexProblems checks the user list's indexes (issue 11) against the plain
// list of a business, its users: every user is found by a prefix of their
// own email and by their name; every tab's list and every status's list,
// and the lists by name and by newest, hold exactly the users the plain
// list says (so nobody removed is on any); and a search for the address of
// anyone the run removed and did not invite again finds nobody. It returns
// what it found wrong, and how many lists it read.
func (c *checker) indexProblems(ctx context.Context, t *tenant, users []listedUser) ([]string, int) {
	var problems []string
	reads := 0
	emails := func(list []listedUser) []string {
		out := make([]string, len(list))
		for i, u := range list {
			out[i] = u.Email
		}
		slices.Sort(out)
		return out
	}
	find := func(query, email string) bool {
		reads++
		found, err := c.list(ctx, t, query)
		if err != nil {
			problems = append(problems, err.Error())
			return false
		}
		return slices.ContainsFunc(found, func(u listedUser) bool { return u.Email == email })
	}
	same := func(query string, want []listedUser) {
		reads++
		got, err := c.list(ctx, t, query)
		if err != nil {
			problems = append(problems, err.Error())
			return
		}
		if g, w := emails(got), emails(want); !slices.Equal(g, w) {
			problems = append(problems, fmt.Sprintf("%s ?%s: %d users, want the %d of the plain list", t.id, query, len(g), len(w)))
		}
	}
	holders := map[string][]listedUser{}
	byStatus := map[string][]listedUser{}
	for _, u := range users {
		for _, tab := range u.Permissions {
			holders[tab] = append(holders[tab], u)
		}
		byStatus[u.Status] = append(byStatus[u.Status], u)
		local, _, _ := strings.Cut(u.Email, "@")
		if !find("q="+url.QueryEscape(local[:min(len(local), 6)]), u.Email) {
			problems = append(problems, fmt.Sprintf("%s: %s not found by a prefix of its email", t.id, u.Email))
		}
		name := strings.TrimSpace(deref(u.FirstName) + " " + deref(u.LastName))
		if name != "" && !find("q="+url.QueryEscape(name), u.Email) {
			problems = append(problems, fmt.Sprintf("%s: %s not found by its name %q", t.id, u.Email, name))
		}
		if last := deref(u.LastName); last != "" && !find("q="+url.QueryEscape(last), u.Email) {
			problems = append(problems, fmt.Sprintf("%s: %s not found by its last name", t.id, u.Email))
		}
	}
	for tab, want := range holders {
		same("tab="+tab, want)
		same("tab="+tab+"&sort=name", want)
	}
	for status, want := range byStatus {
		same("status="+status, want)
	}
	same("sort=name", users)
	same("sort=newest", users)
	present := map[string]bool{}
	for _, u := range users {
		present[u.Email] = true
	}
	c.ledger.mu.Lock()
	var removed []string
	for k := range c.ledger.removals {
		if k.business == t.id && !present[k.email] {
			removed = append(removed, k.email)
		}
	}
	c.ledger.mu.Unlock()
	for _, email := range removed {
		if find("q="+url.QueryEscape(email), email) {
			problems = append(problems, fmt.Sprintf("%s: %s was removed but a search finds it", t.id, email))
		}
	}
	return problems, reads
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// finalState lists every business: emails are unique once normalised (I1),
// every business keeps a manager (I3), of two managers who raced to remove
// each other at least one is still there, and the list's indexes agree
// with the plain list (indexProblems).
func (c *checker) finalState(ctx context.Context) []verdict {
	indexed := verdict{name: "the list's indexes find every user, and nobody removed", ok: true}
	var indexIssues []string
	indexReads := 0
	unique := verdict{name: "no duplicate users", ok: true}
	managed := verdict{name: "every business has a manager", ok: true}
	pairs := verdict{name: "managers who raced to remove each other: one stays", ok: true}
	var total, pairCount int
	var problems, unmanaged, lostPairs []string
	for _, t := range c.tenants {
		users, err := c.listAll(ctx, t)
		if err != nil {
			return []verdict{{name: "final state", ok: false, detail: err.Error()}}
		}
		total += len(users)
		seen := map[string]bool{}
		managers := 0
		for _, u := range users {
			norm := strings.ToLower(strings.TrimSpace(u.Email))
			if norm != u.Email || seen[norm] {
				problems = append(problems, t.id+": "+u.Email)
			}
			seen[norm] = true
			if slices.Contains(u.Permissions, "users") {
				managers++
			}
		}
		if managers == 0 {
			unmanaged = append(unmanaged, t.id)
		}
		issues, reads := c.indexProblems(ctx, t, users)
		indexIssues, indexReads = append(indexIssues, issues...), indexReads+reads
		c.ledger.mu.Lock()
		for _, p := range c.ledger.pairs[t.id] {
			pairCount++
			if !seen[p[0]] && !seen[p[1]] {
				lostPairs = append(lostPairs, fmt.Sprintf("%s: %s and %s", t.id, p[0], p[1]))
			}
		}
		c.ledger.mu.Unlock()
	}
	unique.ok, unique.detail = len(problems) == 0, fmt.Sprintf("%d users in %d businesses, emails unique and normalised", total, len(c.tenants))
	if !unique.ok {
		unique.detail = fmt.Sprintf("duplicate or unnormalised: %s", strings.Join(problems, ", "))
	}
	managed.ok, managed.detail = len(unmanaged) == 0, fmt.Sprintf("%d of %d businesses", len(c.tenants)-len(unmanaged), len(c.tenants))
	if !managed.ok {
		managed.detail = "no manager left in " + strings.Join(unmanaged, ", ")
	}
	pairs.ok, pairs.detail = len(lostPairs) == 0, fmt.Sprintf("%d pairs, none both gone", pairCount)
	if !pairs.ok {
		pairs.detail = "both gone: " + strings.Join(lostPairs, "; ")
	}
	indexed.ok, indexed.detail = len(indexIssues) == 0, fmt.Sprintf("%d users checked with %d lists", total, indexReads)
	if !indexed.ok {
		if len(indexIssues) > 10 {
			indexIssues = append(indexIssues[:10], fmt.Sprintf("and %d more", len(indexIssues)-10))
		}
		indexed.detail = strings.Join(indexIssues, "; ")
	}
	return []verdict{unique, managed, pairs, indexed}
}

// welcomeEmails checks that every committed invite produced exactly one
// welcome email: per recipient, as many emails as invites that got 201 (a
// user removed and invited again gets one per invite), plus one per
// committed change of an email to it (a welcome email) or away from it (a
// notice), and none to an address of the run that was never invited.
func (c *checker) welcomeEmails(d drainResult) verdict {
	v := verdict{name: "every committed invite: exactly one welcome email"}
	if d.err != nil {
		v.detail = d.err.Error()
		return v
	}
	got := map[string]int{}
	for _, e := range d.sent {
		got[strings.ToLower(e.To)]++
	}
	want := map[string]int{}
	unsure := map[string]int{}
	c.ledger.mu.Lock()
	for _, counts := range []map[key]int{c.ledger.invites, c.ledger.emailChanges, c.ledger.notices} {
		for k, n := range counts {
			want[k.email] += n // an address belongs to one business of the run
		}
	}
	for k, n := range c.ledger.unsure {
		unsure[k.email] += n
	}
	c.ledger.mu.Unlock()
	v.ok, v.detail = compareCounts(want, got, unsure, "invites", "emails")
	return v
}

// events checks that every committed change of one kind produced exactly
// one event of its detail-type, per business and user.
func (c *checker) events(d drainResult, detailType string, committed map[key]int) verdict {
	v := verdict{name: fmt.Sprintf("every committed %s: exactly one %s", map[string]string{"UserAdded": "invite", "UserRemoved": "removal"}[detailType], detailType)}
	switch {
	case d.err != nil:
		v.detail = d.err.Error()
		return v
	case d.overflowed:
		v.detail = "more than 1000 events were delivered between two looks at the emulator's list (it keeps the newest 1000), so some were never seen; run with fewer -concurrency or a shorter -duration"
		return v
	}
	got := map[string]int{}
	for _, e := range d.delivered {
		var det eventDetail
		if e.DetailType == detailType && json.Unmarshal(e.Detail, &det) == nil {
			got[det.BusinessID+" "+strings.ToLower(det.User.Email)]++
		}
	}
	want := map[string]int{}
	unsure := map[string]int{}
	c.ledger.mu.Lock()
	for k, n := range committed {
		want[k.business+" "+k.email] += n
	}
	for k, n := range c.ledger.unsure {
		unsure[k.business+" "+k.email] += n
	}
	c.ledger.mu.Unlock()
	v.ok, v.detail = compareCounts(want, got, unsure, "committed", "events")
	return v
}

// compareCounts compares wanted and got counts per key. A key with unsure
// requests (n of them got no answer) may have up to n more than wanted:
// each of those requests may have been applied.
func compareCounts(want, got map[string]int, unsure map[string]int, wantName, gotName string) (bool, string) {
	var wantTotal, gotTotal int
	var wrong []string
	for k, n := range want {
		wantTotal += n
		if g := got[k]; g < n || g > n+unsure[k] {
			wrong = append(wrong, fmt.Sprintf("%s: %d %s, %d %s", k, n, wantName, g, gotName))
		}
	}
	for k, g := range got {
		gotTotal += g
		if _, ok := want[k]; !ok && g > unsure[k] {
			wrong = append(wrong, fmt.Sprintf("%s: 0 %s, %d %s", k, wantName, g, gotName))
		}
	}
	if len(wrong) > 0 {
		slices.Sort(wrong)
		if len(wrong) > 10 {
			wrong = append(wrong[:10], fmt.Sprintf("and %d more", len(wrong)-10))
		}
		return false, fmt.Sprintf("%d %s, %d %s; wrong for %s", wantTotal, wantName, gotTotal, gotName, strings.Join(wrong, "; "))
	}
	return true, fmt.Sprintf("%d %s, %d %s, one each", wantTotal, wantName, gotTotal, gotName)
}
