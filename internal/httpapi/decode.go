package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/businessapp/usermanagement/internal/team"
)

// MaxBodyBytes is the largest request body accepted (SPEC §4), except
// by invite several (MaxInviteSeveralBodyBytes).
const MaxBodyBytes = 16 << 10

// MaxInviteSeveralBodyBytes is the largest body of invite several (SPEC
// §4): fifty invitations of the 16 KiB limit's worst case would not fit,
// but fifty realistic ones (an address, two names, a phone and a dozen
// tabs, about 400 bytes) fit three times over.
const MaxInviteSeveralBodyBytes = 64 << 10

func invalid(format string, args ...any) *team.Error {
	return team.Errorf(team.CodeInvalidRequest, format, args...)
}

// body is a decoded JSON object whose keys were checked: each known, each
// once, spelled exactly. encoding/json alone would match keys without regard
// to case and let a repeated key silently win.
type body map[string]json.RawMessage

// readBody reads and checks a JSON object body of at most MaxBodyBytes
// holding only allowed keys.
func readBody(r *http.Request, allowed ...string) (body, error) {
	return readBodyUpTo(r, MaxBodyBytes, allowed...)
}

// readBodyUpTo is readBody with another size limit.
func readBodyUpTo(r *http.Request, limit int64, allowed ...string) (body, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, invalid("Send the body as JSON, with Content-Type: application/json.")
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, team.Errorf(CodePayloadTooLarge, "The request body is larger than %d KiB.", limit>>10)
	}
	if err != nil {
		return nil, invalid("The request body could not be read.")
	}
	return parseBody(raw, allowed)
}

func parseBody(raw []byte, allowed []string) (body, error) {
	if !utf8.Valid(raw) {
		return nil, invalid("The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, invalid("The request body must be a JSON object.")
	}
	out := body{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("The request body is not valid JSON.")
		}
		name, _ := tok.(string)
		if !contains(allowed, name) {
			return nil, team.InvalidField(name, fmt.Sprintf("Unknown field %q; allowed fields are %s.", name, strings.Join(allowed, ", ")))
		}
		if _, dup := out[name]; dup {
			return nil, team.InvalidField(name, fmt.Sprintf("The field %q appears more than once.", name))
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, invalid("The request body is not valid JSON.")
		}
		out[name] = value
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalid("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("The request body must hold one JSON object and nothing after it.")
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// optString returns a present string field; null counts as "" (clear it).
func (b body) optString(name string) (*string, error) {
	v, ok := b[name]
	if !ok {
		return nil, nil
	}
	if isNull(v) {
		empty := ""
		return &empty, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, team.InvalidField(name, fmt.Sprintf("%s must be a string.", name))
	}
	return &s, nil
}

// stringOrEmpty is optString without the difference between absent and "".
func (b body) stringOrEmpty(name string) (string, error) {
	p, err := b.optString(name)
	if p == nil || err != nil {
		return "", err
	}
	return *p, nil
}

// optStrings returns a present list of strings; absent and null are nil.
func (b body) optStrings(name string) ([]string, error) {
	v, ok := b[name]
	if !ok || isNull(v) {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		return nil, team.InvalidField(name, fmt.Sprintf("%s must be a list of strings.", name))
	}
	if list == nil {
		list = []string{}
	}
	return list, nil
}

// pageRequest reads limit and cursor from the query string.
func pageRequest(r *http.Request) (team.PageRequest, error) {
	q := r.URL.Query()
	page := team.PageRequest{Limit: team.DefaultPageSize, Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > team.MaxPageSize {
			return page, team.InvalidField("limit", fmt.Sprintf("limit must be a whole number from 1 to %d.", team.MaxPageSize))
		}
		page.Limit = n
	}
	return page, nil
}

// ifMatch turns If-Match into the domain's precondition: absent or "*" is
// unconditional, a list of entity tags pins the revisions they name. Our
// ETags are "<id>.<version>" (see etag); a tag is compared as a string (RFC
// 9110 strong comparison), so a weak tag W/"…", an old "<version>" tag or
// any other well-formed tag simply never matches. Only a header that is not
// a list of quoted tags is refused.
func ifMatch(r *http.Request) (team.Precondition, error) {
	h := strings.TrimSpace(strings.Join(r.Header.Values("If-Match"), ","))
	if h == "" || h == "*" {
		return team.AnyVersion, nil
	}
	var revisions []team.Revision
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		weak := strings.HasPrefix(tag, "W/")
		tag = strings.TrimPrefix(tag, "W/")
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.Contains(tag[1:len(tag)-1], `"`) {
			return team.AnyVersion, invalid(`If-Match must be an ETag from a previous response, such as "usr_01JD8X4B7K9QZ0M5N2P3R4S6T7.3".`)
		}
		rev, ok := parseETag(tag[1 : len(tag)-1])
		if weak || !ok {
			continue // not an ETag we issued: it pins nothing we could match
		}
		revisions = append(revisions, rev)
	}
	return team.OnlyRevisions(revisions...), nil
}

// etag is the ETag of a user: its id and version. The version alone would
// repeat when a removed user is invited again (it starts at 1 again); the id
// is new for every invite, so the pair never repeats (invariant I8).
func etag(u team.User) string {
	return `"` + u.ID + "." + strconv.FormatInt(u.Version, 10) + `"`
}

// parseETag reads the opaque value of a tag etag made; ok is false for
// anything etag cannot have written.
func parseETag(v string) (team.Revision, bool) {
	i := strings.LastIndexByte(v, '.')
	if i <= 0 {
		return team.Revision{}, false
	}
	version, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil || version < 1 || strconv.FormatInt(version, 10) != v[i+1:] {
		return team.Revision{}, false
	}
	return team.Revision{ID: v[:i], Version: version}, true
}

// businessID parses the path's business id. It is the one check of a
// request's business id; the Service takes the parsed value.
func businessID(r *http.Request) (team.BusinessID, error) {
	return team.ParseBusinessID(r.PathValue("businessId"))
}
