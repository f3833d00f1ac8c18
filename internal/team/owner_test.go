package team_test

import (
	"testing"

	"github.com/businessapp/usermanagement/internal/team"
)

func TestOwnerIsProtected(t *testing.T) {
	// I9: nobody but the owner removes the owner or changes the owner's
	// permissions or email; on their own record the owner gets self_lockout
	// where I2 applies, as every user does.
	refused := []struct {
		name  string
		write func(f *fixture) error
		want  wantErr
	}{
		{"a manager removes the owner", func(f *fixture) error {
			return f.svc.RemoveUser(f.ctx, managerEmail, acme, ownerEmail, team.AnyVersion)
		}, wantErr{code: team.CodeOwnerProtected}},
		{"a manager changes the owner's permissions", func(f *fixture) error {
			_, err := f.svc.SetPermissions(f.ctx, managerEmail, acme, ownerEmail, []string{"users", "crm"}, team.AnyVersion)
			return err
		}, wantErr{code: team.CodeOwnerProtected}},
		{"a manager changes the owner's email", func(f *fixture) error {
			_, err := f.svc.UpdateContact(f.ctx, managerEmail, acme, ownerEmail, team.ContactPatch{Email: strPtr("new-owner@acme.test")}, team.AnyVersion)
			return err
		}, wantErr{code: team.CodeOwnerProtected}},
		{"the owner removes themselves", func(f *fixture) error {
			return f.svc.RemoveUser(f.ctx, ownerEmail, acme, ownerEmail, team.AnyVersion)
		}, wantErr{code: team.CodeSelfLockout}},
		{"the owner gives up their own users permission", func(f *fixture) error {
			_, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, ownerEmail, []string{"crm"}, team.AnyVersion)
			return err
		}, wantErr{code: team.CodeSelfLockout, fields: []string{"permissions"}}},
		{"a member removes the owner", func(f *fixture) error {
			return f.svc.RemoveUser(f.ctx, memberEmail, acme, ownerEmail, team.AnyVersion)
		}, wantErr{code: team.CodeForbidden}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			checkRefusal(t, tt.write(f), tt.want)
			f.checkUnchanged(t, before)
		})
	}

	allowed := []struct {
		name  string
		write func(f *fixture) error
	}{
		{"a manager changes the owner's names and phone", func(f *fixture) error {
			_, err := f.svc.UpdateContact(f.ctx, managerEmail, acme, ownerEmail, team.ContactPatch{FirstName: strPtr("Olivia")}, team.AnyVersion)
			return err
		}},
		{"the owner changes their own other permissions", func(f *fixture) error {
			_, err := f.svc.SetPermissions(f.ctx, ownerEmail, acme, ownerEmail, []string{"users", "administration", "crm"}, team.AnyVersion)
			return err
		}},
	}
	for _, tt := range allowed {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := tt.write(f); err != nil {
				t.Fatal(err)
			}
			if got, ok := f.stored(t, acme, ownerEmail); !ok || !got.IsOwner {
				t.Errorf("after the change the owner's record = %+v (stored: %v), want it still the owner", got, ok)
			}
		})
	}
}
