// Package memstore is an in-memory team.Store for tests of the rules above
// the database. It honours every condition of a team.Mutation under one
// mutex, and passes the same contract suite as the DynamoDB store.
package memstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// Store keeps businesses, users and activity in maps.
type Store struct {
	mu         sync.Mutex
	businesses map[team.BusinessID]team.Business
	users      map[team.BusinessID]map[string]team.User // business id → email → user
	activity   map[team.BusinessID][]team.Activity      // business id → oldest first
	// sends holds, per business, when each email of the last
	// team.EmailWindow was sent, oldest first (older ones are dropped).
	sends   map[team.BusinessID][]time.Time
	applied int
	// provisioned holds what provisioning keeps besides the business:
	// the revision applied and the tombstone of a deleted business
	// (provision.go).
	provisioned map[team.BusinessID]provision.State
}

var _ team.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		businesses: map[team.BusinessID]team.Business{},
		users:      map[team.BusinessID]map[string]team.User{},
		activity:   map[team.BusinessID][]team.Activity{},
		sends:      map[team.BusinessID][]time.Time{},

		provisioned: map[team.BusinessID]provision.State{},
	}
}

// CreateBusiness adds a business and its first user. Errors: team.ErrBusinessExists.
func (s *Store) CreateBusiness(_ context.Context, b team.Business, owner team.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.businesses[b.ID]; ok {
		return fmt.Errorf("memstore: create business %s: %w", b.ID, team.ErrBusinessExists)
	}
	// As the DynamoDB store: the owner is named on the business and
	// flagged on their record.
	owner.IsOwner = true
	b.OwnerID, b.OwnerEmail, b.Total = owner.ID, owner.Email, 0
	s.businesses[b.ID] = b
	s.users[b.ID] = map[string]team.User{owner.Email: owner}
	return nil
}

// SeedUser stores u as given, replacing the user of that email, without an
// activity record and without counting as an applied mutation. Tests use it
// to start from a state the API reaches in several steps (a user already
// active, an invitation already expired).
func (s *Store) SeedUser(u team.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[u.BusinessID] == nil {
		s.users[u.BusinessID] = map[string]team.User{}
	}
	s.users[u.BusinessID][u.Email] = u
}

// AppliedCount returns how many mutations were committed, so tests can
// assert that a refused request wrote nothing.
func (s *Store) AppliedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// Business implements team.Store. The total is the number of users held,
// exact by construction, as the DynamoDB store's counter is by its
// transactions.
func (s *Store) Business(_ context.Context, id team.BusinessID) (team.Business, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.businesses[id]
	if !ok {
		return team.Business{}, fmt.Errorf("memstore: business %s: %w", id, team.ErrNotFound)
	}
	b.Total, b.Invited = int64(len(s.users[id])), 0
	for _, u := range s.users[id] {
		if !u.IsActive() {
			b.Invited++
		}
	}
	return b, nil
}

// User implements team.Store.
func (s *Store) User(_ context.Context, businessID team.BusinessID, email string) (team.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[businessID][email]
	if !ok {
		return team.User{}, fmt.Errorf("memstore: user: %w", team.ErrNotFound)
	}
	return u, nil
}

// Member implements team.Store.
func (s *Store) Member(_ context.Context, businessID team.BusinessID, email string) (team.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[businessID][email]
	if _, live := s.businesses[businessID]; !live || !ok {
		return team.User{}, fmt.Errorf("memstore: member: %w", team.ErrNotFound)
	}
	return u, nil
}

// The cursor names the business and the last key served, so that it cannot
// be replayed against another business or another list.
func encodeCursor(businessID team.BusinessID, list, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(businessID.String() + "\x00" + list + "\x00" + key))
}

func decodeCursor(cursor string, businessID team.BusinessID, list string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 || parts[0] != businessID.String() || parts[1] != list {
		return "", fmt.Errorf("memstore: %w", team.ErrInvalidCursor)
	}
	return parts[2], nil
}

// Users implements team.Store: every user the query keeps, sorted by the
// query's order, from just after the cursor's user. The cursor carries
// what the order compares (email, names, creation time), so a page starts
// in the right place even when the last user served has since changed or
// gone. Its pages are always full, which the contract allows.
func (s *Store) Users(_ context.Context, businessID team.BusinessID, query team.UserQuery, page team.PageRequest) (team.UserPage, error) {
	list := "users?" + query.Key()
	raw, err := decodeCursor(page.Cursor, businessID, list)
	if err != nil {
		return team.UserPage{}, err
	}
	var after *team.User
	if raw != "" {
		var c userCursor
		if err := json.Unmarshal([]byte(raw), &c); err != nil || c.Email == "" {
			return team.UserPage{}, fmt.Errorf("memstore: %w", team.ErrInvalidCursor)
		}
		after = &team.User{Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, CreatedAt: c.CreatedAt}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []team.User
	for _, u := range s.users[businessID] {
		if query.Matches(u) && (after == nil || query.Compare(u, *after) > 0) {
			kept = append(kept, u)
		}
	}
	slices.SortFunc(kept, query.Compare)
	var out team.UserPage
	for i, u := range kept {
		if i == page.Limit {
			last := kept[i-1]
			b, _ := json.Marshal(userCursor{Email: last.Email, FirstName: last.FirstName, LastName: last.LastName, CreatedAt: last.CreatedAt})
			out.NextCursor = encodeCursor(businessID, list, string(b))
			break
		}
		out.Users = append(out.Users, u)
	}
	return out, nil
}

// userCursor is what Users' order compares of the last user served.
type userCursor struct {
	Email     string    `json:"e"`
	FirstName string    `json:"f,omitempty"`
	LastName  string    `json:"l,omitempty"`
	CreatedAt time.Time `json:"c"`
}

// Activity implements team.Store. Its cursors are bound to the filter as
// the DynamoDB store's are; its pages are always full, which the contract
// allows (a filtered page may be short, it need not be).
func (s *Store) Activity(_ context.Context, businessID team.BusinessID, filter team.ActivityFilter, page team.PageRequest) (team.ActivityPage, error) {
	list := "activity?type=" + string(filter.Type) + "&userId=" + filter.UserID
	before, err := decodeCursor(page.Cursor, businessID, list)
	if err != nil {
		return team.ActivityPage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.activity[businessID]
	var out team.ActivityPage
	for i := len(all) - 1; i >= 0; i-- {
		a := all[i]
		if before != "" && a.ID >= before || !filter.Matches(a) {
			continue
		}
		if len(out.Activity) == page.Limit {
			out.NextCursor = encodeCursor(businessID, list, out.Activity[len(out.Activity)-1].ID)
			break
		}
		out.Activity = append(out.Activity, a)
	}
	return out, nil
}

// Apply implements team.Store, checking conditions in the order of precedence
// the interface documents.
func (s *Store) Apply(_ context.Context, m team.Mutation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := s.users[m.BusinessID]
	selfChange := m.Before != nil && m.Before.Email == m.Actor
	if !selfChange {
		actor, ok := users[m.Actor]
		if !ok || !actor.IsManager() || !actor.IsActive() {
			return fmt.Errorf("memstore: %w", team.ErrActorNotAllowed)
		}
	}
	if len(m.RequireTabs) > 0 {
		b := s.businesses[m.BusinessID]
		if len(m.RequireTabs.Missing(b.Tabs)) > 0 {
			return fmt.Errorf("memstore: %w", &team.TabsNotEnabledError{Enabled: slices.Clone(b.Tabs)})
		}
	}
	if m.Before != nil {
		cur, ok := users[m.Before.Email]
		if !ok {
			return fmt.Errorf("memstore: %w", team.ErrNotFound)
		}
		if cur.IsOwner && (m.After == nil || m.After.Email != m.Before.Email) {
			return fmt.Errorf("memstore: %w", team.ErrOwnerProtected)
		}
		if cur.ID != m.Before.ID || cur.Version != m.Before.Version {
			return fmt.Errorf("memstore: %w", team.ErrStale)
		}
		if m.LimitResend && !team.ResendAllowed(cur.InvitationSentAt, m.Activity.At) {
			return fmt.Errorf("memstore: %w", &team.ResendTooSoonError{RetryAt: team.NextResendAt(cur.InvitationSentAt)})
		}
	}
	if m.After != nil && (m.Before == nil || m.Before.Email != m.After.Email) {
		if _, ok := users[m.After.Email]; ok {
			return fmt.Errorf("memstore: %w", team.ErrUserExists)
		}
	}
	if m.EmailBudget > 0 {
		// The same rule as the DynamoDB store's slots: a send is allowed
		// when fewer than EmailBudget sends happened after now - window.
		cutoff := m.Activity.At.Add(-team.EmailWindow)
		recent := slices.DeleteFunc(s.sends[m.BusinessID], func(t time.Time) bool { return !t.After(cutoff) })
		s.sends[m.BusinessID] = recent
		if len(recent) >= m.EmailBudget {
			oldest := slices.MinFunc(recent, func(a, b time.Time) int { return a.Compare(b) })
			return fmt.Errorf("memstore: %w", &team.EmailBudgetError{RetryAt: oldest.Add(team.EmailWindow)})
		}
	}
	if users == nil {
		users = map[string]team.User{}
		s.users[m.BusinessID] = users
	}
	if m.Before != nil {
		delete(users, m.Before.Email)
	}
	if m.After != nil {
		users[m.After.Email] = *m.After
	}
	if !m.SkipActivity {
		s.activity[m.BusinessID] = append(s.activity[m.BusinessID], m.Activity)
	}
	if m.EmailBudget > 0 {
		s.sends[m.BusinessID] = append(s.sends[m.BusinessID], m.Activity.At)
	}
	s.applied++
	return nil
}

// TransferOwnership implements team.Store under the one mutex, checking
// what the DynamoDB store's transaction conditions check.
func (s *Store) TransferOwnership(_ context.Context, t team.Transfer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := s.users[t.BusinessID]
	b := s.businesses[t.BusinessID]
	from, ok := users[t.From.Email]
	if !ok || from.ID != t.From.ID || !from.IsOwner || b.OwnerID != t.From.ID {
		return fmt.Errorf("memstore: %w", team.ErrActorNotAllowed)
	}
	to, ok := users[t.To.Email]
	if !ok {
		return fmt.Errorf("memstore: %w", team.ErrNotFound)
	}
	if to.ID != t.To.ID || to.Version != t.To.Version || !to.IsManager() {
		return fmt.Errorf("memstore: %w", team.ErrStale)
	}
	from.IsOwner, from.Version, from.UpdatedAt = false, from.Version+1, t.At
	to.IsOwner, to.Version, to.UpdatedAt = true, to.Version+1, t.At
	users[from.Email], users[to.Email] = from, to
	b.OwnerID, b.OwnerEmail = to.ID, to.Email
	s.businesses[t.BusinessID] = b
	s.activity[t.BusinessID] = append(s.activity[t.BusinessID], t.Activity)
	s.applied++
	return nil
}
