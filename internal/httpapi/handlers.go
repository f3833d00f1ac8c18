package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/businessapp/usermanagement/internal/team"
)

// TeamService is what the API needs of the domain; *team.Service has it.
// It is declared here, beside the handlers that call it, so that a new
// operation adds its method in the file that adds its handler
// (docs/ADDING_AN_OPERATION.md).
type TeamService interface {
	GetBusiness(ctx context.Context, caller string, businessID team.BusinessID) (team.Business, error)
	ListTabs(ctx context.Context, caller string, businessID team.BusinessID) ([]team.Tab, error)
	ListUsers(ctx context.Context, caller string, businessID team.BusinessID, query team.UserQuery, page team.PageRequest) (team.UserPage, error)
	GetUser(ctx context.Context, caller string, businessID team.BusinessID, email string) (team.User, error)
	InviteUser(ctx context.Context, caller string, businessID team.BusinessID, in team.Invitation) (team.User, error)
	SetPermissions(ctx context.Context, caller string, businessID team.BusinessID, email string, tabs []string, pre team.Precondition) (team.User, error)
	UpdateContact(ctx context.Context, caller string, businessID team.BusinessID, email string, patch team.ContactPatch, pre team.Precondition) (team.User, error)
	RemoveUser(ctx context.Context, caller string, businessID team.BusinessID, email string, pre team.Precondition) error
	ListActivity(ctx context.Context, caller string, businessID team.BusinessID, filter team.ActivityFilter, page team.PageRequest) (team.ActivityPage, error)
	TransferOwnership(ctx context.Context, caller string, businessID team.BusinessID, email string) (team.User, error)
	ResendInvitation(ctx context.Context, caller string, businessID team.BusinessID, email string, pre team.Precondition) (team.User, error)
	InviteSeveral(ctx context.Context, caller string, businessID team.BusinessID, in []team.Invitation) ([]team.InviteResult, error)
}

var _ TeamService = (*team.Service)(nil)

func userResponse(status int, u team.User) response {
	return response{status: status, body: toUserJSON(u), header: http.Header{"Etag": {etag(u)}}}
}

func cursorJSON(c string) *string { return nullable(c) }

func (a *API) getBusiness(r *http.Request) (response, error) {
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	b, err := a.svc.GetBusiness(r.Context(), caller(r), biz)
	if err != nil {
		return response{}, err
	}
	tabs := b.Tabs.Tabs()
	out := businessJSON{ID: b.ID.String(), Name: b.Name, Tabs: make([]tabJSON, len(tabs)), Owner: ownerJSON{Email: b.OwnerEmail}, Total: b.Total, Invited: b.Invited}
	for i, t := range tabs {
		out.Tabs[i] = tabJSON{ID: string(t.ID), Name: t.Name}
	}
	return response{status: http.StatusOK, body: out}, nil
}

func (a *API) listTabs(r *http.Request) (response, error) {
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	tabs, err := a.svc.ListTabs(r.Context(), caller(r), biz)
	if err != nil {
		return response{}, err
	}
	out := tabsJSON{Tabs: make([]tabJSON, len(tabs))}
	for i, t := range tabs {
		out.Tabs[i] = tabJSON{ID: string(t.ID), Name: t.Name}
	}
	return response{status: http.StatusOK, body: out}, nil
}

func (a *API) listUsers(r *http.Request) (response, error) {
	page, pageErr := pageRequest(r)
	q := r.URL.Query()
	query, queryErr := team.ParseUserQuery(q.Get("q"), q.Get("status"), q.Get("tab"), q.Get("sort"))
	if err := team.JoinInvalid(pageErr, queryErr); err != nil {
		return response{}, err
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	users, err := a.svc.ListUsers(r.Context(), caller(r), biz, query, page)
	if err != nil {
		return response{}, err
	}
	out := usersPageJSON{Users: make([]userJSON, len(users.Users)), NextCursor: cursorJSON(users.NextCursor),
		Total: users.Total, Invited: users.Invited}
	for i, u := range users.Users {
		out.Users[i] = toUserJSON(u)
	}
	return response{status: http.StatusOK, body: out}, nil
}

func (a *API) listActivity(r *http.Request) (response, error) {
	page, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	q := r.URL.Query()
	filter, err := team.ParseActivityFilter(q.Get("type"), q.Get("userId"))
	if err != nil {
		return response{}, err
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	acts, err := a.svc.ListActivity(r.Context(), caller(r), biz, filter, page)
	if err != nil {
		return response{}, err
	}
	out := activityPageJSON{Activity: make([]activityJSON, len(acts.Activity)), NextCursor: cursorJSON(acts.NextCursor)}
	for i, act := range acts.Activity {
		out.Activity[i] = toActivityJSON(act)
	}
	return response{status: http.StatusOK, body: out}, nil
}

func (a *API) getUser(r *http.Request) (response, error) {
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	u, err := a.svc.GetUser(r.Context(), caller(r), biz, r.PathValue("email"))
	if err != nil {
		return response{}, err
	}
	return userResponse(http.StatusOK, u), nil
}

// invitationFields are the fields of an invite's body, alone or as an
// entry of invite several.
var invitationFields = []string{"email", "firstName", "lastName", "phone", "permissions"}

// invitationOf reads an invite's body.
func invitationOf(b body) (team.Invitation, error) {
	var in team.Invitation
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{{"email", &in.Email}, {"firstName", &in.FirstName}, {"lastName", &in.LastName}, {"phone", &in.Phone}} {
		if *f.dst, err = b.stringOrEmpty(f.name); err != nil {
			return team.Invitation{}, err
		}
	}
	if in.Permissions, err = b.optStrings("permissions"); err != nil {
		return team.Invitation{}, err
	}
	return in, nil
}

func (a *API) inviteUser(r *http.Request) (response, error) {
	b, err := readBody(r, invitationFields...)
	if err != nil {
		return response{}, err
	}
	in, err := invitationOf(b)
	if err != nil {
		return response{}, err
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	u, err := a.svc.InviteUser(r.Context(), caller(r), biz, in)
	if err != nil {
		return response{}, err
	}
	resp := userResponse(http.StatusCreated, u)
	resp.header.Set("Location", "/v1/businesses/"+url.PathEscape(biz.String())+"/users/"+url.PathEscape(u.Email))
	return resp, nil
}

func (a *API) setPermissions(r *http.Request) (response, error) {
	match, err := ifMatch(r)
	if err != nil {
		return response{}, err
	}
	b, err := readBody(r, "permissions")
	if err != nil {
		return response{}, err
	}
	tabs, err := b.optStrings("permissions")
	if err != nil {
		return response{}, err
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	u, err := a.svc.SetPermissions(r.Context(), caller(r), biz, r.PathValue("email"), tabs, match)
	if err != nil {
		return response{}, err
	}
	return userResponse(http.StatusOK, u), nil
}

func (a *API) updateContact(r *http.Request) (response, error) {
	match, err := ifMatch(r)
	if err != nil {
		return response{}, err
	}
	b, err := readBody(r, "firstName", "lastName", "email", "phone")
	if err != nil {
		return response{}, err
	}
	var patch team.ContactPatch
	for _, f := range []struct {
		name string
		dst  **string
	}{{"email", &patch.Email}, {"firstName", &patch.FirstName}, {"lastName", &patch.LastName}, {"phone", &patch.Phone}} {
		if *f.dst, err = b.optString(f.name); err != nil {
			return response{}, err
		}
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	u, err := a.svc.UpdateContact(r.Context(), caller(r), biz, r.PathValue("email"), patch, match)
	if err != nil {
		return response{}, err
	}
	return userResponse(http.StatusOK, u), nil
}

func (a *API) removeUser(r *http.Request) (response, error) {
	match, err := ifMatch(r)
	if err != nil {
		return response{}, err
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	if err := a.svc.RemoveUser(r.Context(), caller(r), biz, r.PathValue("email"), match); err != nil {
		return response{}, err
	}
	return response{status: http.StatusNoContent}, nil
}

func (a *API) transferOwnership(r *http.Request) (response, error) {
	b, err := readBody(r, "email")
	if err != nil {
		return response{}, err
	}
	email, err := b.optString("email")
	if err != nil {
		return response{}, err
	}
	if email == nil {
		return response{}, team.InvalidFields(map[string]string{"email": "Send the email of the manager who becomes the owner."})
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	u, err := a.svc.TransferOwnership(r.Context(), caller(r), biz, *email)
	if err != nil {
		return response{}, err
	}
	return userResponse(http.StatusOK, u), nil
}

// resendInvitation takes no body: what it does is all in the path.
func (a *API) resendInvitation(r *http.Request) (response, error) {
	match, err := ifMatch(r)
	if err != nil {
		return response{}, err
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	u, err := a.svc.ResendInvitation(r.Context(), caller(r), biz, r.PathValue("email"), match)
	if err != nil {
		return response{}, err
	}
	return userResponse(http.StatusOK, u), nil
}

// inviteSeveralJSON is the answer of invite several: one result per entry,
// in input order.
type inviteSeveralJSON struct {
	Results []inviteResultJSON `json:"results"`
}

// inviteResultJSON is one entry's outcome: the status the single invite
// would have answered, with its user (201) or its error object.
type inviteResultJSON struct {
	Email  string           `json:"email"`
	Status int              `json:"status"`
	User   *userJSON        `json:"user,omitempty"`
	Error  *errorDetailJSON `json:"error,omitempty"`
}

// inviteSeveral decodes the whole body before anything is written: a
// malformed entry (not an object, an unknown field, a field of the wrong
// type) or more than team.MaxInvitesPerRequest entries is 400 for the
// request. An entry that decodes but breaks an input rule (a bad email, a
// tab not enabled) is that entry's 400, as the single invite answers.
func (a *API) inviteSeveral(r *http.Request) (response, error) {
	b, err := readBodyUpTo(r, MaxInviteSeveralBodyBytes, "users")
	if err != nil {
		return response{}, err
	}
	var raws []json.RawMessage
	if v, ok := b["users"]; !ok || isNull(v) || json.Unmarshal(v, &raws) != nil {
		return response{}, team.InvalidField("users", "users must be a list of invitations, such as [{\"email\":\"ann@example.com\"}].")
	}
	if len(raws) == 0 || len(raws) > team.MaxInvitesPerRequest {
		return response{}, team.InvalidField("users", fmt.Sprintf("Send from 1 to %d invitations at a time; this request has %d.", team.MaxInvitesPerRequest, len(raws)))
	}
	in := make([]team.Invitation, len(raws))
	for i, raw := range raws {
		eb, err := parseBody(raw, invitationFields)
		if err == nil {
			in[i], err = invitationOf(eb)
		}
		if err != nil {
			return response{}, team.InvalidField(fmt.Sprintf("users[%d]", i), fmt.Sprintf("Invitation %d: %s", i+1, team.ErrorMessage(err)))
		}
	}
	biz, err := businessID(r)
	if err != nil {
		return response{}, err
	}
	results, err := a.svc.InviteSeveral(r.Context(), caller(r), biz, in)
	if err != nil {
		return response{}, err
	}
	out := inviteSeveralJSON{Results: make([]inviteResultJSON, len(results))}
	for i, res := range results {
		if res.Err == nil {
			u := toUserJSON(res.User)
			out.Results[i] = inviteResultJSON{Email: res.User.Email, Status: http.StatusCreated, User: &u}
			continue
		}
		out.Results[i] = a.entryError(r, in[i].Email, res.Err)
	}
	return response{status: http.StatusOK, body: out}, nil
}

// entryError is an entry's failure as its result: the status and error
// object the single invite would have answered. As for a whole request,
// a failure because the deadline passed is unavailable, and a server
// error is logged on the request's line (the first one) and never leaked.
func (a *API) entryError(r *http.Request, email string, err error) inviteResultJSON {
	code := team.ErrorCode(err)
	if code == team.CodeInternal && errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		err = &team.Error{Code: team.CodeUnavailable, Message: team.ErrorMessage(team.ErrUnavailable), Err: err}
		code = team.CodeUnavailable
	}
	if code == team.CodeInternal {
		if info := infoOf(r.Context()); info != nil {
			info.mu.Lock()
			if info.entryErr == nil {
				info.entryErr = err
			}
			info.mu.Unlock()
		}
	}
	var fields map[string]string
	var e *team.Error
	if errors.As(err, &e) {
		fields = e.Fields
	}
	detail := errorBody(code, team.ErrorMessage(err), fields).Error
	return inviteResultJSON{Email: email, Status: StatusOf(code), Error: &detail}
}
