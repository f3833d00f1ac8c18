package dynamo

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// Keys and items for code that reaches the table without the Store: the
// benchmarks seed teams with BatchWriteItem and send the Store's requests
// bare to measure what DynamoDB alone costs. They are built with the same
// functions the Store uses, so the table layout stays decided in keys.go
// and records.go.

// UserKey returns the primary key of a user's item.
func UserKey(businessID team.BusinessID, email string) map[string]types.AttributeValue {
	return key(businessPK(businessID), userSK(email))
}

// ProfileKey returns the primary key of a business's profile item.
func ProfileKey(businessID team.BusinessID) map[string]types.AttributeValue {
	return key(businessPK(businessID), profileSK)
}

// UsersRange returns the partition key value and the sort-key prefix of a
// business's users: one page of users is a Query on that partition with
// begins_with(SK, prefix).
func UsersRange(businessID team.BusinessID) (pk, prefix string) {
	return businessPK(businessID), userPrefix
}

// ActivityRange is UsersRange for a business's activity records.
func ActivityRange(businessID team.BusinessID) (pk, prefix string) {
	return businessPK(businessID), activityPrefix
}

// UserHistoryRange is where one user's history is: the ByUser index, its
// partition-key attribute and value for the user, and the sort-key prefix.
// A page of it is a Query on that index partition, newest first.
func UserHistoryRange(businessID team.BusinessID, userID string) (index, pkAttr, pk, prefix string) {
	return IndexByUser, AttrByUserPK, activityByUserPK(businessID, userID), activityPrefix
}

// BusinessQuery returns the Query with which the Store reads a business:
// its profile and its user-count shards.
func BusinessQuery(table string, businessID team.BusinessID) (*dynamodb.QueryInput, error) {
	return businessQuery(table, businessID)
}

// UserCountUpdate returns the transaction item with which the Store adds
// users (+1 for an invite, -1 for a removal) to shard of a business's user
// count and invited to its count of invited users (0 <= shard <
// UserCountShards; users and invited not both 0).
func UserCountUpdate(table string, businessID team.BusinessID, shard int, users, invited int64) types.TransactWriteItem {
	return counterUpdate(table, businessPK(businessID), shard, users, invited)
}

// UserIndexItems returns the user list's index items the Store keeps for a
// user (keys.go: one per tab held, one per search term), for seeding a
// table beside UserItem.
func UserIndexItems(u team.User) ([]map[string]types.AttributeValue, error) {
	writes, err := userIndexWrites("", nil, &u)
	if err != nil {
		return nil, fmt.Errorf("dynamo: %w", err)
	}
	items := make([]map[string]types.AttributeValue, len(writes))
	for i, w := range writes {
		items[i] = w.Put.Item
	}
	return items, nil
}

// UserIndexWrites returns the transaction items with which the Store takes
// a user's index items from those of before to those of after (either may
// be nil), in the order the Store sends them: after the user's own item,
// before the user count's shard.
func UserIndexWrites(table string, before, after *team.User) ([]types.TransactWriteItem, error) {
	writes, err := userIndexWrites(table, before, after)
	if err != nil {
		return nil, fmt.Errorf("dynamo: %w", err)
	}
	return writes, nil
}

// UserCountShards is how many items a business's user count is spread over.
const UserCountShards = counterShards

// EmailBudgetQuery returns the Query with which the Store reads a
// business's email-budget shards before a send (eventually consistent).
func EmailBudgetQuery(table string, businessID team.BusinessID) (*dynamodb.QueryInput, error) {
	return budgetQuery(table, businessID, false)
}

// EmailBudgetSlot returns the transaction item with which the Store uses
// slot of a budget of n for a send at now. The slot must be free, and
// shardExists must say whether the EmailBudgetQuery found the slot's shard
// (EmailBudgetShardSK).
func EmailBudgetSlot(table string, businessID team.BusinessID, n, slot int, shardExists bool, now time.Time) (types.TransactWriteItem, error) {
	return slotUpdate(table, businessID, shardsOf(n), slot, shardExists, now)
}

// EmailBudgetShardSK returns the sort key of the shard that holds slot of
// a budget of n.
func EmailBudgetShardSK(n, slot int) string { return rateSK(slot % shardsOf(n)) }

// UserItem returns the item the Store writes for a user.
func UserItem(u team.User) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(toUserRecord(u))
	if err != nil {
		return nil, fmt.Errorf("dynamo: encode user: %w", err)
	}
	return item, nil
}

// ActivityItem returns the item the Store writes for an activity record.
func ActivityItem(a team.Activity) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(toActivityRecord(a))
	if err != nil {
		return nil, fmt.Errorf("dynamo: encode activity: %w", err)
	}
	return item, nil
}
