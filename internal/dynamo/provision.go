package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// The provisioning half of the store (provision.Store). The business's
// PROFILE item holds the revision of the platform's event applied last;
// every provisioning write is conditioned on the new revision being
// greater (attribute_not_exists(revision) OR revision < :r), in the same
// transaction as the rest of the change, so a repeated or older event
// writes nothing at all.
//
// A BusinessDeleted turns the PROFILE into a tombstone in one write
// (MarkDeleted): Business answers not found from then on, and every write
// that checks the profile is refused. Purge then removes every other item
// of the partition, users first, in transactions of up to
// purgeBatch deletes that also update the tombstone (condition: still the
// tombstone of that revision; ADD purgedItems), so that the progress is
// visible on the tombstone, a purge never deletes items of a business
// provisioned again meanwhile, and an interrupted purge resumes where it
// stopped when called again. The tombstone stays, holding the revision.

var _ provision.Store = (*Store)(nil)

// purgeBatch is how many items one purge transaction deletes: DynamoDB's
// 100 items per transaction, less the tombstone's update.
const purgeBatch = 99

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// State implements provision.Store: one consistent GetItem of the profile.
func (s *Store) State(ctx context.Context, businessID team.BusinessID) (provision.State, error) {
	item, err := s.get(ctx, key(businessPK(businessID), profileSK))
	if errors.Is(err, team.ErrNotFound) {
		return provision.State{}, nil
	}
	if err != nil {
		return provision.State{}, fmt.Errorf("dynamo: provisioning state of %s: %w", businessID, err)
	}
	var r profileRecord
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return provision.State{}, fmt.Errorf("dynamo: provisioning state of %s: decode: %w", businessID, err)
	}
	return provision.State{Exists: true, Revision: r.Revision, Deleted: r.Deleted, Purged: r.Purged, PurgedItems: r.PurgedItems,
		OwnerID: r.OwnerID, OwnerEmail: r.OwnerEmail}, nil
}

// The roles of a provisioning transaction's items, by index.
const (
	provProfile = iota
	provOwner
	provDemote
	provOther
)

// Provision implements provision.Store: one TransactWriteItems of the
// profile's update, the owner's record, the user count, the previous
// owner's record and the activity.
func (s *Store) Provision(ctx context.Context, p provision.Plan) error {
	in, roles, err := s.provisionInput(p)
	if err != nil {
		return fmt.Errorf("dynamo: provision %s: %w", p.BusinessID, err)
	}
	for attempt := 1; ; attempt++ {
		_, err := s.client.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		mapped, retry := explainProvision(err, roles, p)
		if !retry || attempt == conflictAttempts {
			return fmt.Errorf("dynamo: provision %s: %w", p.BusinessID, mapped)
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("dynamo: provision %s: %w", p.BusinessID, err)
		}
	}
}

func (s *Store) provisionInput(p provision.Plan) (*dynamodb.TransactWriteItemsInput, []int, error) {
	pk := businessPK(p.BusinessID)
	at, err := attributevalue.Marshal(p.At)
	if err != nil {
		return nil, nil, fmt.Errorf("encode time: %w", err)
	}
	names := map[string]string{
		"#e": attrEntity, "#id": attrID, "#name": attrName, "#tabs": attrTabs, "#rev": attrRevision, "#created": attrCreatedAt,
		"#oid": attrOwnerID, "#deleted": attrDeleted, "#deletedAt": attrDeletedAt, "#purged": attrPurged, "#purgedItems": attrPurgedItems,
	}
	values := map[string]types.AttributeValue{
		":e": str(EntityBusiness), ":id": str(p.BusinessID.String()), ":name": str(p.Name),
		":tabs": &types.AttributeValueMemberSS{Value: p.Tabs.Strings()}, ":r": num(p.Revision), ":at": at,
	}
	set := "SET #e = :e, #id = :id, #name = :name, #tabs = :tabs, #rev = :r, #created = if_not_exists(#created, :at)"
	cond := "(attribute_not_exists(#rev) OR #rev < :r) AND "
	if p.PreviousOwnerID == "" {
		cond += "attribute_not_exists(#oid)"
	} else {
		cond += "#oid = :prev"
		values[":prev"] = str(p.PreviousOwnerID)
	}
	if p.Owner != nil {
		set += ", #oid = :oid, #oemail = :oemail"
		names["#oemail"] = attrOwnerEmail
		values[":oid"], values[":oemail"] = str(p.Owner.ID), str(p.Owner.Email)
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(pk, profileSK),
		ConditionExpression:                 aws.String(cond),
		UpdateExpression:                    aws.String(set + " REMOVE #deleted, #deletedAt, #purged, #purgedItems"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}}
	roles := []int{provProfile}
	if p.Owner != nil {
		owner := *p.Owner
		owner.IsOwner = true
		item, err := attributevalue.MarshalMap(toUserRecord(owner))
		if err != nil {
			return nil, nil, fmt.Errorf("encode owner: %w", err)
		}
		put := &types.Put{TableName: &s.table, Item: item}
		if p.OwnerBefore == nil {
			put.ConditionExpression = aws.String("attribute_not_exists(" + AttrPK + ")")
		} else {
			put.ConditionExpression = aws.String("#id = :id AND #v = :v")
			put.ExpressionAttributeNames = map[string]string{"#id": attrID, "#v": attrVersion}
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":id": str(p.OwnerBefore.ID), ":v": num(p.OwnerBefore.Version)}
		}
		items, roles = append(items, types.TransactWriteItem{Put: put}), append(roles, provOwner)
		indexItems, err := userIndexWrites(s.table, p.OwnerBefore, &owner)
		if err != nil {
			return nil, nil, err
		}
		for _, item := range indexItems {
			items, roles = append(items, item), append(roles, provOther)
		}
		users := int64(0)
		if p.OwnerBefore == nil {
			users = 1
		}
		if invited := invitedCount(&owner) - invitedCount(p.OwnerBefore); users != 0 || invited != 0 {
			items, roles = append(items, counterUpdate(s.table, pk, rand.N(counterShards), users, invited)), append(roles, provOther)
		}
	}
	if d := p.Demote; d != nil {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(pk, userSK(d.Email)),
			ConditionExpression:      aws.String("#id = :id AND #owner = :true"),
			UpdateExpression:         aws.String("REMOVE #owner SET #v = #v + :one, #u = :at"),
			ExpressionAttributeNames: map[string]string{"#id": attrID, "#owner": attrOwner, "#v": attrVersion, "#u": attrUpdatedAt},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":id": str(d.ID), ":true": &types.AttributeValueMemberBOOL{Value: true}, ":one": num(1), ":at": at,
			},
		}})
		roles = append(roles, provDemote)
	}
	for _, a := range p.Activity {
		item, err := attributevalue.MarshalMap(toActivityRecord(a))
		if err != nil {
			return nil, nil, fmt.Errorf("encode activity: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")"),
		}})
		roles = append(roles, provOther)
	}
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}, roles, nil
}

// explainProvision turns a failed provisioning transaction into the errors
// of provision.Store, and says whether to send it again.
func explainProvision(err error, roles []int, p provision.Plan) (mapped error, retry bool) {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return requestError(err), false
	}
	reasons := canceled.CancellationReasons
	for i, r := range reasons {
		if aws.ToString(r.Code) != reasonConditionalFailed || i >= len(roles) {
			continue
		}
		switch roles[i] {
		case provProfile:
			var old profileRecord
			if r.Item != nil && attributevalue.UnmarshalMap(r.Item, &old) == nil && old.Revision >= p.Revision {
				return provision.ErrRevisionNotNewer, false
			}
			return fmt.Errorf("the profile's owner changed: %w", team.ErrStale), false
		case provOwner:
			if p.OwnerBefore == nil {
				return team.ErrUserExists, false
			}
			return fmt.Errorf("the owner's record changed: %w", team.ErrStale), false
		case provDemote:
			return fmt.Errorf("the previous owner's record changed: %w", team.ErrStale), false
		default:
			return fmt.Errorf("activity record already exists: %w", err), false
		}
	}
	return otherCancellation(reasons, err)
}

// MarkDeleted implements provision.Store: one conditional UpdateItem (as a
// transaction of one, the only write call the store's client has) turns
// the profile into the tombstone of the revision, dropping the name, the
// tabs and the owner, so that the business is gone for every request from
// this instant.
func (s *Store) MarkDeleted(ctx context.Context, businessID team.BusinessID, revision int64, at time.Time) error {
	atv, err := attributevalue.Marshal(at)
	if err != nil {
		return fmt.Errorf("dynamo: delete %s: encode time: %w", businessID, err)
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(businessPK(businessID), profileSK),
		ConditionExpression: aws.String("attribute_not_exists(#rev) OR #rev < :r"),
		UpdateExpression: aws.String("SET #e = :e, #id = :id, #deleted = :true, #deletedAt = :at, #rev = :r, #purgedItems = :zero " +
			"REMOVE #name, #tabs, #oid, #oemail, #purged"),
		ExpressionAttributeNames: map[string]string{"#e": attrEntity, "#id": attrID, "#deleted": attrDeleted, "#deletedAt": attrDeletedAt,
			"#rev": attrRevision, "#purgedItems": attrPurgedItems, "#name": attrName, "#tabs": attrTabs, "#oid": attrOwnerID,
			"#oemail": attrOwnerEmail, "#purged": attrPurged},
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": str(EntityBusiness), ":id": str(businessID.String()),
			":true": &types.AttributeValueMemberBOOL{Value: true}, ":at": atv, ":r": num(revision), ":zero": num(0)},
	}}}}
	for attempt := 1; ; attempt++ {
		_, err := s.client.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		var canceled *types.TransactionCanceledException
		if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 &&
			aws.ToString(canceled.CancellationReasons[0].Code) == reasonConditionalFailed {
			return fmt.Errorf("dynamo: delete %s: %w", businessID, provision.ErrRevisionNotNewer)
		}
		if !errors.As(err, &canceled) || attempt == conflictAttempts {
			return fmt.Errorf("dynamo: delete %s: %w", businessID, requestError(err))
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("dynamo: delete %s: %w", businessID, err)
		}
	}
}

// tombstoneUpdate is the update of the tombstone that goes with every purge
// transaction: it must still be the tombstone of the revision.
func (s *Store) tombstoneUpdate(businessID team.BusinessID, revision int64, update string, names map[string]string, values map[string]types.AttributeValue) types.TransactWriteItem {
	values[":true"] = &types.AttributeValueMemberBOOL{Value: true}
	values[":r"] = num(revision)
	names["#deleted"], names["#rev"] = attrDeleted, attrRevision
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(businessPK(businessID), profileSK),
		ConditionExpression:       aws.String("#deleted = :true AND #rev = :r"),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}
}

// Purge implements provision.Store: users first (each user's access also
// ends with their record), then every other item but the tombstone, in
// transactions of up to purgeBatch deletes with the tombstone's update.
// Each round reads the first keys left (a consistent Query: deleted items
// are gone from it), so a purge called again after an interruption simply
// carries on.
func (s *Store) Purge(ctx context.Context, businessID team.BusinessID, revision int64) error {
	for _, prefix := range []string{userPrefix, ""} {
		for {
			keys, err := s.purgeKeys(ctx, businessID, prefix)
			if err != nil {
				return fmt.Errorf("dynamo: purge %s: %w", businessID, err)
			}
			if len(keys) == 0 {
				break
			}
			items := []types.TransactWriteItem{s.tombstoneUpdate(businessID, revision, "ADD #purgedItems :n",
				map[string]string{"#purgedItems": attrPurgedItems}, map[string]types.AttributeValue{":n": num(int64(len(keys)))})}
			for _, k := range keys {
				items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: k}})
			}
			if err := s.purgeCommit(ctx, items); err != nil {
				return fmt.Errorf("dynamo: purge %s: %w", businessID, err)
			}
		}
	}
	err := s.purgeCommit(ctx, []types.TransactWriteItem{s.tombstoneUpdate(businessID, revision, "SET #purged = :true",
		map[string]string{"#purged": attrPurged}, map[string]types.AttributeValue{})})
	if err != nil {
		return fmt.Errorf("dynamo: purge %s: %w", businessID, err)
	}
	return nil
}

// purgeKeys returns the keys of up to purgeBatch items of the business
// whose sort key starts with prefix, the profile excepted.
func (s *Store) purgeKeys(ctx context.Context, businessID team.BusinessID, prefix string) ([]map[string]types.AttributeValue, error) {
	cond := "#pk = :pk"
	values := map[string]types.AttributeValue{":pk": str(businessPK(businessID))}
	if prefix != "" {
		cond += " AND begins_with(#sk, :prefix)"
		values[":prefix"] = str(prefix)
	}
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: aws.String(cond),
		ProjectionExpression:     aws.String("#pk, #sk"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#sk": AttrSK}, ExpressionAttributeValues: values,
		ConsistentRead: aws.Bool(true), Limit: aws.Int32(purgeBatch + 1),
	})
	if err != nil {
		return nil, requestError(err)
	}
	keys := make([]map[string]types.AttributeValue, 0, len(out.Items))
	for _, item := range out.Items {
		if sk, _ := item[AttrSK].(*types.AttributeValueMemberS); sk == nil || sk.Value == profileSK || len(keys) == purgeBatch {
			continue
		}
		keys = append(keys, key(businessPK(businessID), item[AttrSK].(*types.AttributeValueMemberS).Value))
	}
	return keys, nil
}

// purgeCommit runs one purge transaction, retrying conflicts with
// concurrent writes. A failed tombstone condition (the first item) means a
// newer upsert replaced it: provision.ErrRevisionNotNewer.
func (s *Store) purgeCommit(ctx context.Context, items []types.TransactWriteItem) error {
	for attempt := 1; ; attempt++ {
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return nil
		}
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return requestError(err)
		}
		if len(canceled.CancellationReasons) > 0 && aws.ToString(canceled.CancellationReasons[0].Code) == reasonConditionalFailed {
			return provision.ErrRevisionNotNewer
		}
		if attempt == conflictAttempts {
			return fmt.Errorf("transaction canceled: %s: %w", reasonSummary(canceled.CancellationReasons), err)
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}
