package dynamo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// decodeUser reads a user item: what attributevalue.UnmarshalMap does for
// userRecord, written out. Reading users is the hot path (every request
// reads its caller, every page 51 users), and the reflective decoder took
// 2.7 µs a user where this takes 0.4 µs: more than half of a page's own
// cost (docs/PERFORMANCE.md). Writes still go through the record's tags;
// TestDecodeUserMatchesAttributeValue keeps the two in step.
func decodeUser(item map[string]types.AttributeValue) (userRecord, error) {
	d := itemDecoder{item: item}
	r := userRecord{
		PK: d.str(AttrPK), SK: d.str(AttrSK), Entity: d.str(attrEntity),
		BusinessID: d.str(attrBusinessID), ID: d.str(attrID), Email: d.str(attrEmail),
		FirstName: d.str(attrFirstName), LastName: d.str(attrLastName), Phone: d.str(attrPhone),
		Permissions: d.strings(attrPermissions), InvitedBy: d.str(attrInvitedBy),
		CreatedAt: d.time(attrCreatedAt), UpdatedAt: d.time(attrUpdatedAt), Version: d.int(attrVersion),
		Owner:  d.bool(attrOwner),
		Status: d.str(attrStatus), InvitationExpiresAt: d.optTime(attrExpiresAt),
		InvitationSentAt: d.optTime(attrSentAt), ActivatedAt: d.optTime(attrActivatedAt),
		StatusPK: d.str(AttrStatusPK), NamePK: d.str(AttrNamePK), NameSK: d.str(AttrNameSK),
		NewestPK: d.str(AttrNewestPK), NewestSK: d.str(AttrNewestSK),
		ProfileImageURL: d.str(attrPicture), PhoneDisplay: d.str(attrPhoneDisplay),
	}
	if err := d.failed(); err != nil {
		return userRecord{}, err
	}
	return r, nil
}

// decodeActivity reads an activity item: what attributevalue.UnmarshalMap
// does for activityRecord, written out for the same reason as decodeUser
// (a page of activity reads 51; the reflective decoder was more than half
// of its own cost). TestDecodeActivityMatchesAttributeValue keeps the two
// in step.
func decodeActivity(item map[string]types.AttributeValue) (activityRecord, error) {
	d := itemDecoder{item: item}
	r := activityRecord{
		PK: d.str(AttrPK), SK: d.str(AttrSK), Entity: d.str(attrEntity),
		ID: d.str(attrID), BusinessID: d.str(attrBusinessID), Type: d.str(attrType), Actor: d.str(attrActor), ActorID: d.str(attrActorID),
		At: d.time(attrAt), ByUserPK: d.str(AttrByUserPK), ByTypePK: d.str(AttrByTypePK),
		InvitationExpiresAt: d.optTime(attrExpiresAt),
	}
	if t := d.nested(attrTarget); t != nil {
		r.Target = personRecord{ID: t.str(attrID), Email: t.str(attrEmail), FirstName: t.str(attrFirstName), LastName: t.str(attrLastName), Phone: t.str(attrPhone)}
	}
	if c := d.nested(attrChanges); c != nil {
		field := func(name string) *fieldChangeRecord {
			if f := c.nested(name); f != nil {
				return &fieldChangeRecord{From: f.str(attrFrom), To: f.str(attrTo)}
			}
			return nil
		}
		r.Changes = &changesRecord{Email: field(attrEmail), FirstName: field(attrFirstName), LastName: field(attrLastName), Phone: field(attrPhone)}
		if p := c.nested(attrPermissions); p != nil {
			r.Changes.Permissions = &permissionsChangeRecord{From: p.strings(attrFrom), To: p.strings(attrTo)}
		}
	}
	if err := d.failed(); err != nil {
		return activityRecord{}, err
	}
	return r, nil
}

// itemDecoder reads attributes of an item the way attributevalue does into
// Go fields: a missing or NULL attribute leaves the zero value, an
// attribute of another type is an error. It keeps the first error.
type itemDecoder struct {
	item map[string]types.AttributeValue
	err  error
	// parent is the decoder of the item a nested map is in: errors go there.
	parent *itemDecoder
}

func (d *itemDecoder) fail(name string, v types.AttributeValue, want string) {
	if d.parent != nil {
		d.parent.fail(name, v, want)
		return
	}
	if d.err == nil {
		d.err = fmt.Errorf("attribute %s: %T is not %s", name, v, want)
	}
}

func (d *itemDecoder) failed() error {
	if d.parent != nil {
		return d.parent.failed()
	}
	return d.err
}

// nested returns a decoder for a map attribute, or nil when it is missing
// or NULL (a nil pointer field, for attributevalue).
func (d *itemDecoder) nested(name string) *itemDecoder {
	switch v := d.get(name).(type) {
	case nil:
		return nil
	case *types.AttributeValueMemberM:
		return &itemDecoder{item: v.Value, parent: d}
	default:
		d.fail(name, v, "a map")
		return nil
	}
}

// get returns the attribute, or nil when it is missing or NULL.
func (d *itemDecoder) get(name string) types.AttributeValue {
	v := d.item[name]
	if _, null := v.(*types.AttributeValueMemberNULL); null {
		return nil
	}
	return v
}

// str reads a string; like attributevalue, it takes a number's digits too.
func (d *itemDecoder) str(name string) string {
	switch v := d.get(name).(type) {
	case nil:
		return ""
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	default:
		d.fail(name, v, "a string")
		return ""
	}
}

// strings reads a string set, or a list of strings; like attributevalue,
// it takes a number set's digits too.
func (d *itemDecoder) strings(name string) []string {
	switch v := d.get(name).(type) {
	case nil:
		return nil
	case *types.AttributeValueMemberSS:
		return v.Value
	case *types.AttributeValueMemberNS:
		return v.Value
	case *types.AttributeValueMemberL:
		out := make([]string, len(v.Value))
		for i, e := range v.Value {
			switch e := e.(type) {
			case *types.AttributeValueMemberS:
				out[i] = e.Value
			case *types.AttributeValueMemberN:
				out[i] = e.Value
			default:
				d.fail(name, e, "a string")
				return nil
			}
		}
		return out
	default:
		d.fail(name, v, "a string set")
		return nil
	}
}

func (d *itemDecoder) int(name string) int64 {
	switch v := d.get(name).(type) {
	case nil:
		return 0
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			d.fail(name, v, "a whole number")
		}
		return n
	default:
		d.fail(name, v, "a number")
		return 0
	}
}

// optTime reads an optional time: nil when the attribute is missing or NULL.
func (d *itemDecoder) optTime(name string) *time.Time {
	if d.get(name) == nil {
		return nil
	}
	t := d.time(name)
	return &t
}

// bool reads a BOOL attribute; a missing one is false.
func (d *itemDecoder) bool(name string) bool {
	v := d.get(name)
	if v == nil {
		return false
	}
	b, ok := v.(*types.AttributeValueMemberBOOL)
	if !ok {
		d.fail(name, v, "BOOL")
		return false
	}
	return b.Value
}

// time reads a time written as an RFC 3339 string (how attributevalue
// writes time.Time) or as a number of Unix seconds.
func (d *itemDecoder) time(name string) time.Time {
	switch v := d.get(name).(type) {
	case nil:
		return time.Time{}
	case *types.AttributeValueMemberS:
		t, err := time.Parse(time.RFC3339, v.Value)
		if err != nil {
			d.fail(name, v, "an RFC 3339 time")
		}
		return t
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			d.fail(name, v, "a time in Unix seconds")
		}
		return time.Unix(n, 0)
	default:
		d.fail(name, v, "a time")
		return time.Time{}
	}
}
