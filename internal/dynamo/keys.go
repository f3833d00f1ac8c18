// Package dynamo stores teams in one DynamoDB table (single-table design).
//
// Every item of a business lives in the business's partition, so one Query
// lists a team in email order and one transaction can check the caller, the
// business's tabs and the changed user together:
//
//	PK               SK                        item
//	BUSINESS#<id>    PROFILE                   name, enabled tabs (string set)
//	BUSINESS#<id>    USER#<normalised email>   the user
//	BUSINESS#<id>    ACTIVITY#<ULID>           who did what to whom; the stream's input
package dynamo

import (
	"strings"

	"github.com/businessapp/usermanagement/internal/team"
)

// This file is the only place keys are built and taken apart.

// Key attribute names of the table.
const (
	AttrPK = "PK"
	AttrSK = "SK"
)

// Key prefixes of the item types.
const (
	businessPrefix = "BUSINESS#"
	profileSK      = "PROFILE"
	userPrefix     = "USER#"
	activityPrefix = "ACTIVITY#"
)

// Values of the entity attribute, which tells item types apart in stream
// records and filters without parsing keys.
const (
	EntityBusiness = "business"
	EntityUser     = "user"
	EntityActivity = "activity"
)

func businessPK(businessID team.BusinessID) string { return businessPrefix + businessID.String() }
func userSK(email string) string                   { return userPrefix + email }
func activitySK(id string) string                  { return activityPrefix + id }

// activityKey reads the business and the activity id from the keys of an
// activity item; ok is false for the keys of any other item.
func activityKey(pk, sk string) (businessID team.BusinessID, activityID string, ok bool) {
	id, isActivity := strings.CutPrefix(sk, activityPrefix)
	if !isActivity {
		return "", "", false
	}
	biz, _ := strings.CutPrefix(pk, businessPrefix)
	return team.BusinessID(biz), id, true
}
