package httpapi

import (
	"context"
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

func (a *API) inviteUser(r *http.Request) (response, error) {
	b, err := readBody(r, "email", "firstName", "lastName", "phone", "permissions")
	if err != nil {
		return response{}, err
	}
	var in team.Invitation
	for _, f := range []struct {
		name string
		dst  *string
	}{{"email", &in.Email}, {"firstName", &in.FirstName}, {"lastName", &in.LastName}, {"phone", &in.Phone}} {
		if *f.dst, err = b.stringOrEmpty(f.name); err != nil {
			return response{}, err
		}
	}
	if in.Permissions, err = b.optStrings("permissions"); err != nil {
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
