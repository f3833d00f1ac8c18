package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

var _ provision.Store = (*Store)(nil)

// State implements provision.Store.
func (s *Store) State(_ context.Context, id team.BusinessID) (provision.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.provisioned[id]
	if b, ok := s.businesses[id]; ok {
		st.Exists, st.OwnerID, st.OwnerEmail = true, b.OwnerID, b.OwnerEmail
	}
	return st, nil
}

// Provision implements provision.Store under the one mutex, checking what
// the DynamoDB store's transaction conditions check.
func (s *Store) Provision(_ context.Context, p provision.Plan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.provisioned[p.BusinessID]
	b, exists := s.businesses[p.BusinessID]
	if (exists || st.Exists) && st.Revision >= p.Revision {
		return fmt.Errorf("memstore: %w", provision.ErrRevisionNotNewer)
	}
	if b.OwnerID != p.PreviousOwnerID {
		return fmt.Errorf("memstore: profile owner: %w", team.ErrStale)
	}
	users := s.users[p.BusinessID]
	if p.Owner != nil {
		cur, ok := users[p.Owner.Email]
		switch {
		case p.OwnerBefore == nil && ok:
			return fmt.Errorf("memstore: %w", team.ErrUserExists)
		case p.OwnerBefore != nil && (!ok || cur.ID != p.OwnerBefore.ID || cur.Version != p.OwnerBefore.Version):
			return fmt.Errorf("memstore: owner: %w", team.ErrStale)
		}
	}
	if p.Demote != nil {
		cur, ok := users[p.Demote.Email]
		if !ok || cur.ID != p.Demote.ID || !cur.IsOwner {
			return fmt.Errorf("memstore: previous owner: %w", team.ErrStale)
		}
	}
	if users == nil {
		users = map[string]team.User{}
		s.users[p.BusinessID] = users
	}
	if !exists {
		b = team.Business{ID: p.BusinessID, CreatedAt: p.At}
	}
	b.Name, b.Tabs, b.Total = p.Name, p.Tabs, 0
	if p.Demote != nil {
		d := users[p.Demote.Email]
		d.IsOwner, d.Version, d.UpdatedAt = false, d.Version+1, p.At
		users[d.Email] = d
	}
	if p.Owner != nil {
		users[p.Owner.Email] = *p.Owner
		b.OwnerID, b.OwnerEmail = p.Owner.ID, p.Owner.Email
	}
	s.businesses[p.BusinessID] = b
	s.provisioned[p.BusinessID] = provision.State{Exists: true, Revision: p.Revision}
	s.activity[p.BusinessID] = append(s.activity[p.BusinessID], p.Activity...)
	s.applied++
	return nil
}

// MarkDeleted implements provision.Store: the business is gone for every
// read at once; its users and activity stay until Purge, as in DynamoDB.
func (s *Store) MarkDeleted(_ context.Context, id team.BusinessID, revision int64, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.provisioned[id]
	if _, exists := s.businesses[id]; (exists || st.Exists) && st.Revision >= revision {
		return fmt.Errorf("memstore: %w", provision.ErrRevisionNotNewer)
	}
	delete(s.businesses, id)
	s.provisioned[id] = provision.State{Exists: true, Revision: revision, Deleted: true}
	s.applied++
	return nil
}

// Purge implements provision.Store.
func (s *Store) Purge(_ context.Context, id team.BusinessID, revision int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.provisioned[id]
	if !st.Deleted || st.Revision != revision {
		return fmt.Errorf("memstore: %w", provision.ErrRevisionNotNewer)
	}
	st.PurgedItems += int64(len(s.users[id]) + len(s.activity[id]))
	delete(s.users, id)
	delete(s.activity, id)
	delete(s.sends, id)
	st.Purged = true
	s.provisioned[id] = st
	return nil
}
