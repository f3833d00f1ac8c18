package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/team"
)

// BusinessCreator creates a business with its first user; the DynamoDB store
// has it.
type BusinessCreator interface {
	CreateBusiness(ctx context.Context, b team.Business, owner team.User) error
}

// devAPI serves the local-only /dev endpoints of SPEC §6.
type devAPI struct {
	auth    *Authorizer
	creator BusinessCreator
	clock   team.Clock
}

func decodeStrict(r *http.Request, into any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, httpapi.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return team.Errorf(team.CodeInvalidRequest, "The body is not the expected JSON: %v.", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// token handles POST /dev/token {"email"} → {"token"}.
func (d *devAPI) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeStrict(r, &in); err != nil {
		httpapi.WriteError(w, err)
		return
	}
	email, err := team.NormalizeEmail(in.Email)
	if err != nil {
		httpapi.WriteError(w, &team.Error{Code: team.CodeInvalidRequest, Message: err.Error(), Fields: map[string]string{"email": err.Error()}})
		return
	}
	tok, err := d.auth.Issue(email)
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// BusinessSpec is the body of POST /dev/businesses.
type BusinessSpec struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Tabs  []string `json:"tabs"`
	Owner struct {
		Email     string `json:"email"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"owner"`
}

// createBusiness validates a spec and creates the business, its owner holding
// every enabled tab.
func (d *devAPI) createBusiness(ctx context.Context, spec BusinessSpec) (team.Business, team.User, error) {
	fields := map[string]string{}
	if err := team.ValidateBusinessID(spec.ID); err != nil {
		fields["id"] = team.ErrorMessage(err)
	}
	tabs, err := team.ParsePermissions(spec.Tabs)
	if err != nil {
		fields["tabs"] = team.ErrorMessage(err)
	}
	if !tabs.Has(team.TabUsers) {
		fields["tabs"] = "Enable the users tab, or nobody could manage this business."
	}
	email, err := team.NormalizeEmail(spec.Owner.Email)
	if err != nil {
		fields["owner.email"] = err.Error()
	}
	first, err1 := team.NormalizeName(spec.Owner.FirstName)
	last, err2 := team.NormalizeName(spec.Owner.LastName)
	if err := errors.Join(err1, err2); err != nil {
		fields["owner"] = err.Error()
	}
	name, err := team.NormalizeName(spec.Name)
	if err != nil {
		fields["name"] = err.Error()
	}
	if name == "" {
		name = spec.ID
	}
	if len(fields) > 0 {
		return team.Business{}, team.User{}, team.InvalidFields(fields)
	}
	now := d.clock.Now()
	biz := team.Business{ID: spec.ID, Name: name, Tabs: tabs, CreatedAt: now}
	owner := team.User{BusinessID: spec.ID, Email: email, FirstName: first, LastName: last,
		Permissions: tabs, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := d.creator.CreateBusiness(ctx, biz, owner); err != nil {
		if errors.Is(err, team.ErrBusinessExists) {
			return biz, owner, &team.Error{Code: team.CodeBusinessExists, Message: fmt.Sprintf("Business %q already exists.", spec.ID), Err: err}
		}
		return biz, owner, err
	}
	return biz, owner, nil
}

// businesses handles POST /dev/businesses.
func (d *devAPI) businesses(w http.ResponseWriter, r *http.Request) {
	var spec BusinessSpec
	if err := decodeStrict(r, &spec); err != nil {
		httpapi.WriteError(w, err)
		return
	}
	biz, owner, err := d.createBusiness(r.Context(), spec)
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": biz.ID, "name": biz.Name, "tabs": biz.Tabs.Strings(),
		"owner": map[string]any{"email": owner.Email, "permissions": owner.Permissions.Strings()},
	})
}
