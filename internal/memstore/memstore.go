// Package memstore is an in-memory team.Store for tests of the rules above
// the database. It honours every condition of a team.Mutation under one
// mutex, and passes the same contract suite as the DynamoDB store.
package memstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/businessapp/usermanagement/internal/team"
)

// Store keeps businesses, users and activity in maps.
type Store struct {
	mu         sync.Mutex
	businesses map[team.BusinessID]team.Business
	users      map[team.BusinessID]map[string]team.User // business id → email → user
	activity   map[team.BusinessID][]team.Activity      // business id → oldest first
	applied    int
}

var _ team.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{
		businesses: map[team.BusinessID]team.Business{},
		users:      map[team.BusinessID]map[string]team.User{},
		activity:   map[team.BusinessID][]team.Activity{},
	}
}

// CreateBusiness adds a business and its first user. Errors: team.ErrBusinessExists.
func (s *Store) CreateBusiness(_ context.Context, b team.Business, owner team.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.businesses[b.ID]; ok {
		return fmt.Errorf("memstore: create business %s: %w", b.ID, team.ErrBusinessExists)
	}
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

// Business implements team.Store.
func (s *Store) Business(_ context.Context, id team.BusinessID) (team.Business, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.businesses[id]
	if !ok {
		return team.Business{}, fmt.Errorf("memstore: business %s: %w", id, team.ErrNotFound)
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

// Users implements team.Store.
func (s *Store) Users(_ context.Context, businessID team.BusinessID, page team.PageRequest) (team.UserPage, error) {
	after, err := decodeCursor(page.Cursor, businessID, "users")
	if err != nil {
		return team.UserPage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	emails := make([]string, 0, len(s.users[businessID]))
	for e := range s.users[businessID] {
		if e > after {
			emails = append(emails, e)
		}
	}
	sort.Strings(emails)
	var out team.UserPage
	for i, e := range emails {
		if i == page.Limit {
			out.NextCursor = encodeCursor(businessID, "users", emails[i-1])
			break
		}
		out.Users = append(out.Users, s.users[businessID][e])
	}
	return out, nil
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
		if cur.ID != m.Before.ID || cur.Version != m.Before.Version {
			return fmt.Errorf("memstore: %w", team.ErrStale)
		}
	}
	if m.After != nil && (m.Before == nil || m.Before.Email != m.After.Email) {
		if _, ok := users[m.After.Email]; ok {
			return fmt.Errorf("memstore: %w", team.ErrUserExists)
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
	s.applied++
	return nil
}
