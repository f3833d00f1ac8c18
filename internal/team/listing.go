package team

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UserSort is the order of a list of users (SPEC §4 "Listing").
type UserSort string

// The sorts of SPEC §4.
const (
	// SortEmail orders by email, ascending: the default.
	SortEmail UserSort = "email"
	// SortName orders by NameOrder: last name, first name, then email,
	// users without a name last.
	SortName UserSort = "name"
	// SortNewest orders by createdAt descending; users created in the same
	// instant by email descending, so that the order is total.
	SortNewest UserSort = "newest"
)

// MaxQueryLength bounds q, in characters (SPEC §4).
const MaxQueryLength = 100

// UserQuery narrows and orders a list of users. The zero value lists
// everyone by email. Values come from outside only through ParseUserQuery.
type UserQuery struct {
	// Q keeps users of whom it is a prefix of the email, the first name,
	// the last name or "first last", case-insensitively. It is stored
	// trimmed and lower-cased; "" keeps everyone.
	Q string
	// Status keeps users whose EffectiveStatus it is; "" keeps everyone.
	Status UserStatus
	// Tab keeps users holding the tab; "" keeps everyone.
	Tab TabID
	// Sort is the order; "" is SortEmail. With Q the order is the match
	// order instead (see Compare), whatever Sort says.
	Sort UserSort
}

// ParseUserQuery checks the q=, status=, tab= and sort= parameters of the
// user list; "" means the parameter is absent. The tab must be one of the
// catalogue; whether the business has enabled it is the Service's check.
// Errors: an invalid_request *Error naming every bad field.
func ParseUserQuery(q, status, tab, sort string) (UserQuery, error) {
	var (
		out  UserQuery
		errs []error
	)
	q = strings.TrimSpace(q)
	switch {
	case utf8.RuneCountInString(q) > MaxQueryLength || !utf8.ValidString(q):
		errs = append(errs, InvalidField("q", fmt.Sprintf("q must be at most %d characters.", MaxQueryLength)))
	case strings.ContainsFunc(q, unicode.IsControl):
		errs = append(errs, InvalidField("q", "q must not contain control characters."))
	default:
		out.Q = strings.ToLower(q)
	}
	switch UserStatus(status) {
	case "", StatusInvited, StatusActive:
		out.Status = UserStatus(status)
	default:
		errs = append(errs, InvalidField("status", "status must be invited or active."))
	}
	if tab != "" {
		if tabIndex(TabID(tab)) < 0 {
			errs = append(errs, InvalidField("tab", fmt.Sprintf("Unknown tab %q; valid tabs are %s.", tab, catalogueList())))
		} else {
			out.Tab = TabID(tab)
		}
	}
	switch UserSort(sort) {
	case "", SortEmail:
		out.Sort = SortEmail
	case SortName, SortNewest:
		out.Sort = UserSort(sort)
	default:
		errs = append(errs, InvalidField("sort", "sort must be email, name or newest."))
	}
	if err := JoinInvalid(errs...); err != nil {
		return UserQuery{}, err
	}
	return out, nil
}

// SortOrDefault is the query's sort, SortEmail when unset.
func (q UserQuery) SortOrDefault() UserSort {
	if q.Sort == "" {
		return SortEmail
	}
	return q.Sort
}

// IsZero reports whether the query keeps everyone in email order.
func (q UserQuery) IsZero() bool {
	return q.Q == "" && q.Status == "" && q.Tab == "" && q.SortOrDefault() == SortEmail
}

// Key is the canonical text of the query, which cursors are bound to so
// that a cursor is refused under any other filter or sort.
func (q UserQuery) Key() string {
	return "q=" + q.Q + "&status=" + string(q.Status) + "&tab=" + string(q.Tab) + "&sort=" + string(q.SortOrDefault())
}

// Matches reports whether the query keeps the user. Every store decides
// with it (the DynamoDB store on the users its indexes return), so that
// every store agrees on what a filter means.
func (q UserQuery) Matches(u User) bool {
	return (q.Status == "" || u.EffectiveStatus() == q.Status) &&
		(q.Tab == "" || u.Permissions.Has(q.Tab)) &&
		(q.Q == "" || MatchRank(u, q.Q) >= 0)
}

// Compare orders two users as the list does: by the match order under Q,
// else by Sort. Stores that sort in memory use it, and tests compare the
// DynamoDB store's pages with it.
func (q UserQuery) Compare(a, b User) int {
	if q.Q != "" {
		ra, rb := MatchRank(a, q.Q), MatchRank(b, q.Q)
		if c := cmp.Compare(ra, rb); c != 0 {
			return c
		}
		full := func(u User) string { f, _ := SearchTerms(u); return f }
		last := func(u User) string { _, l := SearchTerms(u); return l }
		switch ra {
		case MatchFullName:
			return cmp.Or(cmp.Compare(full(a), full(b)), cmp.Compare(a.Email, b.Email))
		case MatchLastName:
			return cmp.Or(cmp.Compare(last(a), last(b)), cmp.Compare(a.Email, b.Email))
		}
		return cmp.Compare(a.Email, b.Email)
	}
	switch q.SortOrDefault() {
	case SortName:
		na, a1, a2 := NameOrder(a)
		nb, b1, b2 := NameOrder(b)
		return cmp.Or(compareBool(!na, !nb), cmp.Compare(a1, b1), cmp.Compare(a2, b2), cmp.Compare(a.Email, b.Email))
	case SortNewest:
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.Email, a.Email))
	}
	return cmp.Compare(a.Email, b.Email)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// NameOrder is what SortName orders by: users with a name first, then the
// lower-cased last name and first name. A user with a first name only
// sorts by it as if it were their last name (a single name is the name
// people look for), with "" as the second key.
func NameOrder(u User) (hasName bool, primary, secondary string) {
	first, last := strings.ToLower(u.FirstName), strings.ToLower(u.LastName)
	switch {
	case last != "":
		return true, last, first
	case first != "":
		return true, first, ""
	}
	return false, "", ""
}

// SearchTerms returns the lower-cased name texts q is matched against
// besides the email: full is "first last" (or the one name a user has),
// which also covers prefixes of the first name; last is the last name when
// the user also has a first name ("" otherwise: full covers it).
func SearchTerms(u User) (full, last string) {
	first, lastName := strings.ToLower(u.FirstName), strings.ToLower(u.LastName)
	switch {
	case first != "" && lastName != "":
		return first + " " + lastName, lastName
	case first != "":
		return first, ""
	}
	return lastName, ""
}

// The ways q can match a user, in the order a list under q returns them: a
// user is listed once, under the first way they match.
const (
	MatchEmail    = 0
	MatchFullName = 1
	MatchLastName = 2
)

// MatchRank returns how the lower-cased q first matches the user
// (MatchEmail, MatchFullName, MatchLastName), or -1 when it does not.
func MatchRank(u User, q string) int {
	full, last := SearchTerms(u)
	switch {
	case strings.HasPrefix(u.Email, q):
		return MatchEmail
	case full != "" && strings.HasPrefix(full, q):
		return MatchFullName
	case last != "" && strings.HasPrefix(last, q):
		return MatchLastName
	}
	return -1
}
