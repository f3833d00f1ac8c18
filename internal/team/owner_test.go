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

func TestTransferOwnership(t *testing.T) {
	t.Run("the owner hands ownership to a manager", func(t *testing.T) {
		f := newFixture(t)
		got, err := f.svc.TransferOwnership(f.ctx, ownerEmail, acme, " Manager@ACME.test")
		if err != nil {
			t.Fatal(err)
		}
		if !got.IsOwner || got.Email != managerEmail || got.Version != 2 {
			t.Errorf("returned user = %+v, want the manager, owner, at version 2", got)
		}
		if stored, _ := f.stored(t, acme, managerEmail); !stored.IsOwner {
			t.Errorf("the new owner's record is not marked as the owner")
		}
		if old, _ := f.stored(t, acme, ownerEmail); old.IsOwner || old.Version != 2 {
			t.Errorf("the old owner's record = %+v, want unmarked at version 2", old)
		}
		b, err := f.svc.GetBusiness(f.ctx, memberEmail, acme)
		if err != nil {
			t.Fatal(err)
		}
		if b.OwnerEmail != managerEmail {
			t.Errorf("the business names %s as owner, want %s", b.OwnerEmail, managerEmail)
		}
		log := f.activity(t)
		last := log[0] // newest first
		if last.Type != team.ActivityOwnerTransferred || last.Actor != ownerEmail || last.Target.Email != managerEmail {
			t.Errorf("last activity = %+v, want owner.transferred by the old owner to the manager", last)
		}
		// The old owner is now an ordinary manager: the new owner is
		// protected from them, and they can no longer hand ownership on.
		checkRefusal(t, f.svc.RemoveUser(f.ctx, ownerEmail, acme, managerEmail, team.AnyVersion), wantErr{code: team.CodeOwnerProtected})
		_, err = f.svc.TransferOwnership(f.ctx, ownerEmail, acme, memberEmail)
		checkRefusal(t, err, wantErr{code: team.CodeForbidden})
	})

	refused := []struct {
		name   string
		caller string
		email  string
		want   wantErr
	}{
		{"a manager who is not the owner", managerEmail, memberEmail, wantErr{code: team.CodeForbidden}},
		{"a member", memberEmail, managerEmail, wantErr{code: team.CodeForbidden}},
		{"another business's owner", outsiderEmail, managerEmail, wantErr{code: team.CodeForbidden}},
		{"to a user without the users permission", ownerEmail, memberEmail, wantErr{code: team.CodeOwnerProtected, fields: []string{"email"}}},
		{"to oneself", ownerEmail, ownerEmail, wantErr{code: team.CodeOwnerProtected}},
		{"to nobody", ownerEmail, "ghost@acme.test", wantErr{code: team.CodeNotFound}},
		{"to a malformed email", ownerEmail, "not an email", wantErr{code: team.CodeInvalidRequest, fields: []string{"email"}}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.state(t)
			_, err := f.svc.TransferOwnership(f.ctx, tt.caller, acme, tt.email)
			checkRefusal(t, err, tt.want)
			f.checkUnchanged(t, before)
		})
	}
}
