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

// This file is the only place keys are built.

// Key attribute names of the table.
const (
	AttrPK = "PK"
	AttrSK = "SK"
)

// Sort-key prefixes of the item types.
const (
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

func businessPK(businessID string) string { return "BUSINESS#" + businessID }
func userSK(email string) string          { return userPrefix + email }
func activitySK(id string) string         { return activityPrefix + id }
