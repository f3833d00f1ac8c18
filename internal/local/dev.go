package local

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// CodeBusinessExists is the error code of POST /dev/businesses for an id
// that is taken. Only the local stack produces it; httpapi's status map
// answers it with 409, which TestBusinessExistsIsAConflict checks.
const CodeBusinessExists team.Code = "business_exists"

// BusinessCreator creates a business with its first user; the DynamoDB store
// has it. Only the seed uses it: its demo owner is active from the start, so
// that the stack is usable at once whatever INVITATION_TTL says.
type BusinessCreator interface {
	CreateBusiness(ctx context.Context, b team.Business, owner team.User) error
}

// PlatformEvents applies the platform's business events: the provisioning
// Lambda's handler (provision.Handler, built by lambdaenv/provisioning).
type PlatformEvents interface {
	Handle(ctx context.Context, ev provision.Event) (provision.Outcome, error)
}

// Directory reads a business and a user back, for the answer of POST
// /dev/businesses.
type Directory interface {
	Business(ctx context.Context, id team.BusinessID) (team.Business, error)
	User(ctx context.Context, id team.BusinessID, email string) (team.User, error)
}

// devAPI serves the local-only /dev endpoints of SPEC §6.
type devAPI struct {
	auth     *Authorizer
	creator  BusinessCreator
	platform PlatformEvents
	dir      Directory
	// source is the source the platform's events carry, which
	// POST /dev/businesses puts on the event it makes.
	source string
	clock  team.Clock
	ids    team.IDSource
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
	// Revision is the BusinessUpserted revision to apply; absent, 1: the
	// business is created, and a second POST of the same id is refused
	// as business_exists (the event is not newer than the one applied).
	Revision *int64 `json:"revision,omitempty"`
}

// createBusiness creates the demo business with an active owner, for the
// seed. Errors: business_exists, invalid_request.
func (d *devAPI) createBusiness(ctx context.Context, spec BusinessSpec) error {
	id, err := team.ParseBusinessID(spec.ID)
	if err != nil {
		return err
	}
	tabs, err := team.ParsePermissions(spec.Tabs)
	if err != nil {
		return err
	}
	email, err := team.NormalizeEmail(spec.Owner.Email)
	if err != nil {
		return err
	}
	now := d.clock.Now()
	biz := team.Business{ID: id, Name: spec.Name, Tabs: tabs, CreatedAt: now}
	owner := team.User{BusinessID: id, ID: team.UserIDPrefix + d.ids.NewID(now), Email: email, FirstName: spec.Owner.FirstName,
		LastName: spec.Owner.LastName, Permissions: tabs, CreatedAt: now, UpdatedAt: now, Version: 1}
	return d.creator.CreateBusiness(ctx, biz, owner)
}

// businesses handles POST /dev/businesses: a shorthand for a
// BusinessUpserted event (SPEC §6), which it hands to the same handler as
// POST /dev/platform-events and the provisioning Lambda. The owner is
// invited and gets a welcome email, as a platform-provisioned owner does.
func (d *devAPI) businesses(w http.ResponseWriter, r *http.Request) {
	var spec BusinessSpec
	if err := decodeStrict(r, &spec); err != nil {
		httpapi.WriteError(w, err)
		return
	}
	revision := int64(1)
	if spec.Revision != nil {
		revision = *spec.Revision
	}
	detail, err := json.Marshal(map[string]any{
		"businessId": spec.ID, "name": spec.Name, "enabledTabs": spec.Tabs, "owner": spec.Owner, "revision": revision,
	})
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	outcome, err := d.platform.Handle(r.Context(), provision.Event{Source: d.source, DetailType: provision.DetailTypeUpserted, Detail: detail})
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	if outcome == provision.Ignored {
		httpapi.WriteError(w, &team.Error{Code: CodeBusinessExists, Err: team.ErrBusinessExists,
			Message: fmt.Sprintf("Business %q already exists at revision %d or later.", spec.ID, revision)})
		return
	}
	id := team.BusinessID(spec.ID) // parsed by the handler
	email, _ := team.NormalizeEmail(spec.Owner.Email)
	biz, err := d.dir.Business(r.Context(), id)
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	owner, err := d.dir.User(r.Context(), id, email)
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": biz.ID, "name": biz.Name, "tabs": biz.Tabs.Strings(),
		"owner": map[string]any{"email": owner.Email, "permissions": owner.Permissions.Strings()},
	})
}

// platformEvents handles POST /dev/platform-events: one EventBridge event
// as a rule delivers it ({"source","detail-type","detail"}; the envelope's
// other members are accepted and ignored), applied by the provisioning
// Lambda's handler; 200 once applied (or ignored as not newer).
func (d *devAPI) platformEvents(w http.ResponseWriter, r *http.Request) {
	var ev provision.Event
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, httpapi.MaxBodyBytes))
	if err := dec.Decode(&ev); err != nil {
		httpapi.WriteError(w, team.Errorf(team.CodeInvalidRequest, "The body is not an EventBridge event: %v.", err))
		return
	}
	outcome, err := d.platform.Handle(r.Context(), ev)
	if err != nil {
		httpapi.WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"outcome": string(outcome)})
}
