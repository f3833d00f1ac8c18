// Package dynamo stores teams in one DynamoDB table (single-table design).
//
// Every item of a business lives in the business's partition, so one Query
// lists a team in email order and one transaction can check the caller, the
// business's tabs and the changed user together:
//
//	PK               SK                        item
//	BUSINESS#<id>    COUNT#<0..7>              users: one shard of the exact user count
//	BUSINESS#<id>    PROFILE                   name, enabled tabs (string set), ownerId, ownerEmail
//	BUSINESS#<id>    USER#<normalised email>   the user (owner = true on the owner's only)
//
// "COUNT#" sorts before "PROFILE", so one Query with SK between the two
// reads the profile and every counter shard: the business with its exact
// total.
//
//	BUSINESS#<id>    ACTIVITY#<ULID>           who did what to whom; the stream's input
//	BUSINESS#<id>    RATE#<shard>              slots of the email budget (rate.go)
//
// Activity items also carry the partition keys of two global secondary
// indexes, whose sort key is the table's SK (ACTIVITY#<ULID>, so newest
// first is a backward query). Only activity items carry them, so the
// indexes hold nothing else:
//
//	index    partition key (attribute)                      holds
//	ByUser   BUSINESS#<id>#USER#<user id>   (ByUserPK)      one user's history, through email changes
//	ByType   BUSINESS#<id>#TYPE#<type>      (ByTypePK)      one type of activity
package dynamo

import (
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/businessapp/usermanagement/internal/team"
)

// This file is the only place keys are built and taken apart.

// Key attribute names of the table.
const (
	AttrPK = "PK"
	AttrSK = "SK"
)

// The global secondary indexes of the activity filters. Their partition
// keys are the attributes AttrByUserPK and AttrByTypePK (records.go), their
// sort key is AttrSK.
const (
	IndexByUser = "ByUser"
	IndexByType = "ByType"
)

// Key prefixes of the item types.
const (
	businessPrefix = "BUSINESS#"
	profileSK      = "PROFILE"
	counterPrefix  = "COUNT#"
	userPrefix     = "USER#"
	activityPrefix = "ACTIVITY#"
	ratePrefix     = "RATE#"
	// Inside the index partition keys, after the business's partition key.
	// Business ids cannot contain '#', so neither key can be read as the
	// other or as another business's.
	byUserInfix = "#USER#"
	byTypeInfix = "#TYPE#"
)

// Values of the entity attribute, which tells item types apart in stream
// records and filters without parsing keys.
const (
	EntityBusiness = "business"
	EntityUser     = "user"
	EntityActivity = "activity"
	EntityRate     = "rate"
)

// counterShards is how many items the user count is spread over.
const counterShards = 8

func businessPK(businessID team.BusinessID) string { return businessPrefix + businessID.String() }
func counterSK(shard int) string                   { return counterPrefix + strconv.Itoa(shard) }
func userSK(email string) string                   { return userPrefix + email }
func activitySK(id string) string                  { return activityPrefix + id }
func rateSK(shard int) string                      { return ratePrefix + strconv.Itoa(shard) }

// rateShard reads the shard number from the sort key of a rate item; ok is
// false for any other sort key.
func rateShard(sk string) (shard int, ok bool) {
	n, isRate := strings.CutPrefix(sk, ratePrefix)
	if !isRate {
		return 0, false
	}
	shard, err := strconv.Atoi(n)
	return shard, err == nil && shard >= 0
}

// activityByUserPK is the ByUser partition of a user's history; "" when the
// user id is unknown (records from before users had ids), which keeps the
// record out of the index: an index key cannot be empty.
func activityByUserPK(businessID team.BusinessID, userID string) string {
	if userID == "" {
		return ""
	}
	return businessPK(businessID) + byUserInfix + userID
}

// activityByTypePK is the ByType partition of one type of activity.
func activityByTypePK(businessID team.BusinessID, typ team.ActivityType) string {
	if typ == "" {
		return ""
	}
	return businessPK(businessID) + byTypeInfix + string(typ)
}

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

// activitySKRange returns the sort keys that bound the activity records
// committed in [since, until), for a Query's BETWEEN (inclusive at both
// ends); ok is false when the range holds no millisecond. An activity id is
// a ULID of its commit instant (team.ULIDSource), and ULIDs sort by their
// millisecond first: the lowest ULID of since's millisecond and the highest
// of the millisecond before until enclose exactly the range. A zero time
// leaves that end open.
func activitySKRange(since, until time.Time) (lo, hi string, ok bool) {
	var first, last ulid.ULID // all zero bits: the lowest ULID
	for i := range last {
		last[i] = 0xFF // the highest ULID of the latest millisecond
	}
	from, to := uint64(0), ulid.MaxTime()
	if !since.IsZero() && since.UnixMilli() > 0 {
		from = ulid.Timestamp(since)
	}
	if !until.IsZero() {
		if until.UnixMilli() <= 0 {
			return "", "", false
		}
		to = min(to, ulid.Timestamp(until)-1)
	}
	if from > to || first.SetTime(from) != nil || last.SetTime(to) != nil {
		return "", "", false
	}
	return activitySK(first.String()), activitySK(last.String()), true
}
