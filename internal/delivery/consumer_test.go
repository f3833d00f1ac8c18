package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return t0 }

// ledger is an in-memory delivery.Ledger.
type ledger struct {
	mu     sync.Mutex
	emails map[string]string // activity id + "/" + email kind → "sent:<message id>" or "failed:<reason>"
	events map[string]string
}

func newLedger() *ledger { return &ledger{emails: map[string]string{}, events: map[string]string{}} }

func emailKey(id string, kind delivery.EmailKind) string { return id + "/" + string(kind) }

// email returns the mark of one email of an activity ("" when none).
func (l *ledger) email(id string, kind delivery.EmailKind) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.emails[emailKey(id, kind)]
}

func (l *ledger) State(_ context.Context, _ team.BusinessID, id string) (delivery.State, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := delivery.State{Emails: map[delivery.EmailKind]bool{}}
	for _, kind := range delivery.EmailKinds() {
		_, st.Emails[kind] = l.emails[emailKey(id, kind)]
	}
	_, st.EventDone = l.events[id]
	return st, nil
}

func (l *ledger) States(ctx context.Context, refs []delivery.ActivityRef) ([]delivery.State, error) {
	out := make([]delivery.State, len(refs))
	for i, r := range refs {
		out[i], _ = l.State(ctx, r.BusinessID, r.ActivityID)
	}
	return out, nil
}

func (l *ledger) set(m map[string]string, id, v string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, done := m[id]; !done {
		m[id] = v
	}
	return nil
}

func (l *ledger) EmailSent(_ context.Context, _ team.BusinessID, id string, kind delivery.EmailKind, msg string, _ time.Time) error {
	return l.set(l.emails, emailKey(id, kind), "sent:"+msg)
}
func (l *ledger) EmailFailed(_ context.Context, _ team.BusinessID, id string, kind delivery.EmailKind, reason string, _ time.Time) error {
	return l.set(l.emails, emailKey(id, kind), "failed:"+reason)
}
func (l *ledger) EventPut(_ context.Context, _ team.BusinessID, id string, _ time.Time) error {
	return l.set(l.events, id, "put")
}
func (l *ledger) EventFailed(_ context.Context, _ team.BusinessID, id, reason string, _ time.Time) error {
	return l.set(l.events, id, "failed:"+reason)
}

// directory knows one business and its owner.
type directory struct{}

func (directory) Business(_ context.Context, id team.BusinessID) (team.Business, error) {
	if id != "acme" {
		return team.Business{}, team.ErrNotFound
	}
	return team.Business{ID: "acme", Name: "Acme & Sons"}, nil
}

func (directory) User(_ context.Context, _ team.BusinessID, email string) (team.User, error) {
	if email != "owner@acme.test" {
		return team.User{}, team.ErrNotFound
	}
	return team.User{Email: email, FirstName: "Olive", LastName: "Owner"}, nil
}

// mailer records what it sends; each call first consumes a scripted error,
// then asks refuse, when set, whether to fail the email.
type mailer struct {
	mu     sync.Mutex
	script []error
	refuse func(delivery.WelcomeEmail) error
	sent   []delivery.WelcomeEmail
}

func (m *mailer) Send(_ context.Context, e delivery.WelcomeEmail) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.refuse != nil {
		if err := m.refuse(e); err != nil {
			return "", err
		}
	}
	if len(m.script) > 0 {
		err := m.script[0]
		m.script = m.script[1:]
		if err != nil {
			return "", err
		}
	}
	m.sent = append(m.sent, e)
	return fmt.Sprintf("msg-%d", len(m.sent)), nil
}

// publisher records accepted events; fail decides per event id and call.
type publisher struct {
	mu       sync.Mutex
	calls    int
	accepted []delivery.Event
	fail     func(call int, ev delivery.Event) error
}

func (p *publisher) Publish(_ context.Context, evs []delivery.Event) ([]error, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	errs := make([]error, len(evs))
	for i, ev := range evs {
		if p.fail != nil {
			errs[i] = p.fail(p.calls, ev)
		}
		if errs[i] == nil {
			p.accepted = append(p.accepted, ev)
		}
	}
	return errs, nil
}

func (p *publisher) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, ev := range p.accepted {
		out = append(out, ev.Detail.EventID)
	}
	return out
}

// batch builds the records of a stream batch, as internal/streamlambda
// reads them from Lambda's event (tested there): records that are not
// activity insertions never reach the consumer.
type batch struct {
	activities map[string]team.Activity
	records    []delivery.Record
}

func newBatch() *batch {
	return &batch{activities: map[string]team.Activity{}}
}

func (b *batch) nextID() string { return fmt.Sprintf("%021d", len(b.records)+1) }

func (b *batch) add(a team.Activity) *batch {
	seq := b.nextID()
	b.activities[seq] = a
	b.records = append(b.records, delivery.Record{ID: seq, EventID: "ev-" + seq, Activity: a})
	return b
}

func (b *batch) addPoison(businessID team.BusinessID, id string) *batch {
	seq := b.nextID()
	b.records = append(b.records, delivery.Record{ID: seq, EventID: "ev-" + seq,
		Activity: team.Activity{BusinessID: businessID, ID: id}, Err: errors.New("image lacks its type")})
	return b
}

func activity(id string, typ team.ActivityType, target string) team.Activity {
	a := team.Activity{ID: id, BusinessID: "acme", Type: typ, Actor: "owner@acme.test",
		Target: team.Person{Email: target, FirstName: "Ann"}, At: t0}
	switch typ {
	case team.ActivityUserAdded:
		a.Changes.Permissions = &team.PermissionsChange{From: team.Permissions{}, To: team.Permissions{team.TabCRM}}
	case team.ActivityPermissionsChanged:
		a.Changes.Permissions = &team.PermissionsChange{From: team.Permissions{team.TabCRM}, To: team.Permissions{team.TabHome}}
	case team.ActivityContactChanged:
		a.Changes.FirstName = &team.FieldChange{From: "", To: "Ann"}
	}
	return a
}

type world struct {
	ledger    *ledger
	mailer    *mailer
	publisher *publisher
	consumer  *delivery.Consumer
	log       *strings.Builder
}

func newWorld() *world {
	w := &world{ledger: newLedger(), mailer: &mailer{}, publisher: &publisher{}, log: &strings.Builder{}}
	w.consumer = delivery.New("https://app.example.test/", delivery.Deps{
		Ledger: w.ledger, Directory: directory{}, Mailer: w.mailer, Publisher: w.publisher,
		Clock: fixedClock{}, Log: slog.New(slog.NewTextHandler(w.log, nil)),
	})
	return w
}

func (w *world) handle(t *testing.T, b *batch) []string {
	t.Helper()
	return w.consumer.Deliver(context.Background(), b.records)
}

func TestEveryChangeIsDeliveredOnce(t *testing.T) {
	b := newBatch().
		add(activity("a1", team.ActivityUserAdded, "ann@acme.test")).
		add(activity("a2", team.ActivityPermissionsChanged, "ann@acme.test")).
		add(activity("a3", team.ActivityContactChanged, "ann@acme.test")).
		add(activity("a4", team.ActivityUserRemoved, "ann@acme.test"))
	w := newWorld()
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("failures = %v, want none", got)
	}
	if len(w.mailer.sent) != 1 || w.mailer.sent[0].To != "ann@acme.test" {
		t.Errorf("emails = %+v, want one welcome email to ann", w.mailer.sent)
	}
	if diff := cmp.Diff([]string{"a1", "a2", "a3", "a4"}, w.publisher.ids()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	var types []delivery.DetailType
	for _, ev := range w.publisher.accepted {
		types = append(types, ev.DetailType)
	}
	want := []delivery.DetailType{delivery.DetailUserAdded, delivery.DetailUserPermissionsChanged,
		delivery.DetailUserContactInfoChanged, delivery.DetailUserRemoved}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("detail types (-want +got):\n%s", diff)
	}
	if w.publisher.calls != 1 {
		t.Errorf("PutEvents calls = %d, want the batch's events in one call", w.publisher.calls)
	}

	// Lambda delivers the same batch again (a retry after a timeout):
	// nothing goes out twice.
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("second delivery failures = %v", got)
	}
	if len(w.mailer.sent) != 1 || len(w.publisher.accepted) != 4 {
		t.Errorf("after the same batch twice: %d emails, %d events; want 1 and 4", len(w.mailer.sent), len(w.publisher.accepted))
	}
}

func TestThrottledEmailIsSentOnceAfterRecovery(t *testing.T) {
	b := newBatch().add(activity("a1", team.ActivityUserAdded, "ann@acme.test"))
	w := newWorld()
	throttled := errors.New("TooManyRequestsException: maximum sending rate exceeded")
	w.mailer.script = []error{throttled, throttled, throttled, throttled}
	for attempt := 1; attempt <= 4; attempt++ {
		if got := w.handle(t, b); len(got) != 1 {
			t.Fatalf("attempt %d: failures = %v, want the record handed back for retry", attempt, got)
		}
	}
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("after recovery: failures = %v", got)
	}
	for range 3 {
		w.handle(t, b)
	}
	if len(w.mailer.sent) != 1 {
		t.Errorf("emails sent = %d, want exactly 1", len(w.mailer.sent))
	}
	if len(w.publisher.accepted) != 1 {
		t.Errorf("events = %d, want the event once, although the email was retried", len(w.publisher.accepted))
	}
}

func TestPartialEventFailureRetriesOnlyTheFailedEvents(t *testing.T) {
	b := newBatch()
	for i := 1; i <= 5; i++ {
		b.add(activity(fmt.Sprintf("a%d", i), team.ActivityContactChanged, "ann@acme.test"))
	}
	w := newWorld()
	w.publisher.fail = func(call int, ev delivery.Event) error {
		if call == 1 && (ev.Detail.EventID == "a2" || ev.Detail.EventID == "a4") {
			return errors.New("ThrottlingException")
		}
		return nil
	}
	if diff := cmp.Diff([]string{b.records[1].ID, b.records[3].ID}, w.handle(t, b)); diff != "" {
		t.Fatalf("failures (-want +got):\n%s", diff)
	}
	// Lambda retries from the earliest failure: records 2 to 5.
	retry := &batch{activities: b.activities, records: b.records[1:]}
	if got := w.handle(t, retry); len(got) != 0 {
		t.Fatalf("retry failures = %v", got)
	}
	if diff := cmp.Diff([]string{"a1", "a3", "a5", "a2", "a4"}, w.publisher.ids()); diff != "" {
		t.Errorf("accepted events (-want +got):\n%s", diff)
	}
}

func TestPoisonRecordIsRecordedAndDoesNotBlockTheBatch(t *testing.T) {
	b := newBatch().
		add(activity("a1", team.ActivityUserAdded, "ann@acme.test")).
		addPoison("acme", "bad").
		add(activity("a3", team.ActivityUserAdded, "bob@acme.test"))
	w := newWorld()
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("failures = %v, want none: a poison record must not block the shard", got)
	}
	if len(w.mailer.sent) != 2 || len(w.publisher.accepted) != 2 {
		t.Errorf("%d emails, %d events; want the two good records delivered", len(w.mailer.sent), len(w.publisher.accepted))
	}
	for _, kind := range delivery.EmailKinds() {
		if !strings.HasPrefix(w.ledger.email("bad", kind), "failed:") {
			t.Errorf("poison record's %s mark = %q, want it recorded as failed", kind, w.ledger.email("bad", kind))
		}
	}
	if !strings.HasPrefix(w.ledger.events["bad"], "failed:") {
		t.Errorf("poison record's event mark = %q, want it recorded as failed", w.ledger.events["bad"])
	}
	if !strings.Contains(w.log.String(), "undeliverable stream record") {
		t.Errorf("the poison record was not logged: %s", w.log)
	}
}

func TestPermanentRejectionIsRecordedNotRetried(t *testing.T) {
	b := newBatch().add(activity("a1", team.ActivityUserAdded, "ann@acme.test"))
	w := newWorld()
	w.mailer.script = []error{fmt.Errorf("sesmail: %w: MessageRejected", delivery.ErrPermanent)}
	w.publisher.fail = func(_ int, _ delivery.Event) error {
		return fmt.Errorf("eventbus: %w: MalformedDetail", delivery.ErrPermanent)
	}
	if got := w.handle(t, b); len(got) != 0 {
		t.Fatalf("failures = %v, want none for permanent rejections", got)
	}
	if mark := w.ledger.email("a1", delivery.EmailWelcomeToTarget); !strings.Contains(mark, "MessageRejected") || !strings.Contains(w.ledger.events["a1"], "MalformedDetail") {
		t.Errorf("marks = %q / %q, want the reasons recorded", mark, w.ledger.events["a1"])
	}
	w.handle(t, b)
	if len(w.mailer.script) != 0 || len(w.mailer.sent) != 0 {
		t.Errorf("a permanently rejected email was tried again")
	}
}

func TestWelcomeEmailNamesBusinessAndInviter(t *testing.T) {
	b := newBatch().add(activity("a1", team.ActivityUserAdded, "ann@acme.test"))
	hostile := activity("a2", team.ActivityUserAdded, "eve@acme.test")
	hostile.Target.FirstName = `<script>alert(1)</script>`
	b.add(hostile)
	w := newWorld()
	w.handle(t, b)
	if len(w.mailer.sent) != 2 {
		t.Fatalf("emails = %d, want 2", len(w.mailer.sent))
	}
	// The batch's emails go out concurrently, so find each by recipient.
	byRecipient := map[string]delivery.WelcomeEmail{}
	for _, e := range w.mailer.sent {
		byRecipient[e.To] = e
	}
	e := byRecipient["ann@acme.test"]
	wantSubject := "Olive Owner invited you to Acme & Sons on the Business App"
	if e.Subject != wantSubject {
		t.Errorf("subject = %q, want %q", e.Subject, wantSubject)
	}
	for _, part := range []struct{ name, body string }{{"text", e.Text}, {"html", e.HTML}} {
		for _, want := range []string{"Hi Ann", "Olive Owner (owner@acme.test)", "https://app.example.test/acme", "ann@acme.test"} {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s part lacks %q:\n%s", part.name, want, part.body)
			}
		}
	}
	if !strings.Contains(e.HTML, "Acme &amp; Sons") {
		t.Errorf("html part does not escape the business name")
	}
	if eve := byRecipient["eve@acme.test"].HTML; eve == "" || strings.Contains(eve, "<script>") {
		t.Errorf("html part to eve is missing or contains a name unescaped:\n%s", eve)
	}
}
