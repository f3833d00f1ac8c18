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

// CodeBusinessExists is the error code of POST /dev/businesses for an id
// that is taken. Only the local stack produces it; httpapi's status map
// answers it with 409, which TestBusinessExistsIsAConflict checks.
const CodeBusinessExists team.Code = "business_exists"

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
	ids     team.IDSource
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

// token handles POST /dev/token {"email","emailVerified"?,"picture"?} →
// {"token"}. emailVerified defaults to true; false puts email_verified:
// false in the token, which the API then refuses (SPEC §6). picture becomes
// the token's picture claim, as an identity provider's would.
func (d *devAPI) token(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"emailVerified"`
		Picture       string `json:"picture"`
	}
	if err := decodeStrict(r, &in); err != nil {
		httpapi.WriteError(w, err)
		return
	}
	email, err := team.NormalizeEmail(in.Email)
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	tok, err := d.auth.IssueWithPicture(email, in.EmailVerified == nil || *in.EmailVerified, in.Picture)
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
	id, idErr := team.ParseBusinessID(spec.ID)
	if idErr != nil {
		// The id is a path parameter of the API, whose refusal names no
		// field; here it is a field of the body.
		idErr = team.InvalidField("id", team.ErrorMessage(idErr))
	}
	tabs, tabsErr := team.ParsePermissions(spec.Tabs)
	if tabsErr == nil && !tabs.Has(team.TabUsers) {
		tabsErr = team.InvalidField("tabs", "Enable the users tab, or nobody could manage this business.")
	}
	email, emailErr := team.NormalizeEmail(spec.Owner.Email)
	first, firstErr := team.NormalizeName(spec.Owner.FirstName)
	last, lastErr := team.NormalizeName(spec.Owner.LastName)
	name, nameErr := team.NormalizeName(spec.Name)
	if err := team.JoinInvalid(idErr, team.Field("tabs", tabsErr), team.Field("owner.email", emailErr),
		team.Field("owner.firstName", firstErr), team.Field("owner.lastName", lastErr), nameErr); err != nil {
		return team.Business{}, team.User{}, err
	}
	if name == "" {
		name = spec.ID
	}
	now := d.clock.Now()
	biz := team.Business{ID: id, Name: name, Tabs: tabs, CreatedAt: now}
	owner := team.User{BusinessID: id, ID: team.UserIDPrefix + d.ids.NewID(now), Email: email, FirstName: first, LastName: last,
		Permissions: tabs, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := d.creator.CreateBusiness(ctx, biz, owner); err != nil {
		if errors.Is(err, team.ErrBusinessExists) {
			return biz, owner, &team.Error{Code: CodeBusinessExists, Message: fmt.Sprintf("Business %q already exists.", spec.ID), Err: err}
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
