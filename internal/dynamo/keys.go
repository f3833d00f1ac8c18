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
//
// The user list (SPEC §4 "Listing") reads three more indexes and three
// kinds of index items, all written in the transaction that writes the
// user (listing.go explains which list reads what):
//
//	PK               SK                                 item
//	BUSINESS#<id>    XTAB#<tab>#<email>                 one per tab the user holds
//	BUSINESS#<id>    XFULL#<"first last">\x01<email>     the user's full name, lower-cased (one name if only one)
//	BUSINESS#<id>    XLAST#<last>\x01<email>             the last name, lower-cased, when the user has both names
//
// "X" sorts after "USER#", and after every other prefix, so no existing
// range (COUNT#..PROFILE, RATE#, USER#, ACTIVITY#) reads them. \x01
// separates a name from the email because names hold no control
// characters: it sorts below every character a name can hold, so the key
// orders by the name and then by the email, as team.UserQuery.Compare does.
//
//	index      partition key (attribute)                     sort key (attribute)                 holds
//	ByStatus   BUSINESS#<id>#STATUS#<status>  (StatusPK)     SK (USER#<email>)                    user items: one status by email
//	ByName     BUSINESS#<id>#STATUS#<status>  (NamePK)       <0|1><last>\x01<first>\x01<email> (NameSK)  user items: one status by name
//	           BUSINESS#<id>#TAB#<tab>        (NamePK)       the same                             XTAB# items: one tab's holders by name
//	ByNewest   BUSINESS#<id>#STATUS#<status>  (NewestPK)     <createdAt, fixed width>\x01<email> (NewestSK)  user items: one status by creation
//	           BUSINESS#<id>#TAB#<tab>        (NewestPK)     the same                             XTAB# items: one tab's holders by creation
package dynamo

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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

// The global secondary indexes of the user list (the package comment's
// second index table). All three project every attribute, so a list of
// users read from them needs no reads back from the table.
const (
	IndexByStatus = "ByStatus"
	IndexByName   = "ByName"
	IndexByNewest = "ByNewest"
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
	// The user list's index items and index partitions.
	// indexItemPrefix starts the sort key of every index item below.
	indexItemPrefix = "X"
	tabPrefix       = "XTAB#"
	fullTermPrefix  = "XFULL#"
	lastTermPrefix  = "XLAST#"
	statusInfix     = "#STATUS#"
	tabInfix        = "#TAB#"
	// termSeparator ends a name in a key: below every character a name can
	// hold (names have no control characters), so keys order by the name
	// first.
	termSeparator = "\x01"
)

// Bounds on the name parts of index keys: DynamoDB limits a sort key to
// 1024 bytes, an email takes up to 254 and a name up to 100 characters of
// up to 4 bytes each. Names longer than this (in bytes) are cut, at a
// character boundary, in keys only: such names order by their first
// maxKeyNameBytes bytes and then by email, and q (at most 100 characters)
// still finds them.
const (
	maxKeyNameBytes = 300
	maxKeyTermBytes = 600
)

// Values of the entity attribute, which tells item types apart in stream
// records and filters without parsing keys.
const (
	EntityBusiness = "business"
	EntityUser     = "user"
	EntityActivity = "activity"
	EntityRate     = "rate"
	// EntityUserIndex marks the user list's index items (XTAB#, XFULL#,
	// XLAST#).
	EntityUserIndex = "userindex"
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

// statusPK is the index partition of the users of one status (ByStatus,
// ByName, ByNewest).
func statusPK(businessID team.BusinessID, status team.UserStatus) string {
	return businessPK(businessID) + statusInfix + string(status)
}

// tabPK is the index partition of one tab's holders (ByName, ByNewest).
func tabPK(businessID team.BusinessID, tab team.TabID) string {
	return businessPK(businessID) + tabInfix + string(tab)
}

// tabSK is the sort key of the index item that lists a user among the
// tab's holders; tabRange is the prefix of all of them.
func tabSK(tab team.TabID, email string) string { return tabRange(tab) + email }
func tabRange(tab team.TabID) string            { return tabPrefix + string(tab) + "#" }

// fullTermSK and lastTermSK are the sort keys of a user's search terms;
// "" when the user has no such term. The prefix functions give what a q
// matches the start of.
func fullTermSK(term, email string) string {
	if term == "" {
		return ""
	}
	return fullTermPrefix + cut(term, maxKeyTermBytes) + termSeparator + email
}

func lastTermSK(term, email string) string {
	if term == "" {
		return ""
	}
	return lastTermPrefix + cut(term, maxKeyTermBytes) + termSeparator + email
}

// userIndexItemsRange is the sort-key prefix every index item of the user
// list starts with (XTAB#, XFULL#, XLAST#): one Query on it reads all of a
// business's index items, which is how the backfill (backfill.go) finds
// the ones users written before the indexes lack.
func userIndexItemsRange() string { return indexItemPrefix }

// userRange is the sort-key prefix of a business's user items.
func userRange() string { return userPrefix }

func emailSearchRange(q string) string    { return userPrefix + q }
func fullTermSearchRange(q string) string { return fullTermPrefix + q }
func lastTermSearchRange(q string) string { return lastTermPrefix + q }

// nameSK is the ByName sort key of a user: team.NameOrder, then the email.
func nameSK(u team.User) string {
	hasName, primary, secondary := team.NameOrder(u)
	marker := "1"
	if hasName {
		marker = "0"
	}
	return marker + cut(primary, maxKeyNameBytes) + termSeparator + cut(secondary, maxKeyNameBytes) + termSeparator + u.Email
}

// newestSK is the ByNewest sort key of a user: the creation instant in a
// fixed-width UTC form (so that text order is time order), then the email;
// read backwards it is team.SortNewest.
func newestSK(u team.User) string {
	return u.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + termSeparator + u.Email
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ActivityIDsPut returns the ids of the activity records a transaction
// puts, in its order: the local stack notes when each committed, which is
// what make load measures the delivery lag from.
func ActivityIDsPut(in *dynamodb.TransactWriteItemsInput) []string {
	var ids []string
	for _, item := range in.TransactItems {
		if item.Put == nil {
			continue
		}
		if _, id, ok := activityKey(stringAttribute(item.Put.Item, AttrPK), stringAttribute(item.Put.Item, AttrSK)); ok {
			ids = append(ids, id)
		}
	}
	return ids
}
