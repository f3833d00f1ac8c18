package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// TransferOwnership implements team.Store: one TransactWriteItems of four
// items. The old owner's item is conditioned on its id and owner = true,
// the new owner's on its id, its version and holding the users permission,
// the profile on naming the old owner; the activity record is put with
// them. A removal of the new owner racing the transfer conditions its
// Delete on the version read and on attribute_not_exists(owner), so one
// of the two fails and the business keeps exactly one owner.
func (s *Store) TransferOwnership(ctx context.Context, t team.Transfer) error {
	in, err := s.transferInput(t)
	if err != nil {
		return fmt.Errorf("dynamo: transfer ownership: %w", err)
	}
	for attempt := 1; ; attempt++ {
		in.ClientRequestToken = aws.String(t.Activity.ID + "-" + strconv.Itoa(attempt))
		_, err := s.client.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		mapped, retry := explainTransfer(err)
		if !retry || attempt == conflictAttempts {
			return fmt.Errorf("dynamo: transfer ownership: %w", mapped)
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("dynamo: transfer ownership: %w", err)
		}
	}
}

// The indexes of the transfer's items, which is how a cancellation reason
// is turned into a domain error.
const (
	transferFrom = iota
	transferTo
	transferProfile
	transferActivity
)

func (s *Store) transferInput(t team.Transfer) (*dynamodb.TransactWriteItemsInput, error) {
	pk := businessPK(t.BusinessID)
	at, err := attributevalue.Marshal(t.At)
	if err != nil {
		return nil, fmt.Errorf("encode time: %w", err)
	}
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	num := func(v int64) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	activity, err := attributevalue.MarshalMap(toActivityRecord(t.Activity))
	if err != nil {
		return nil, fmt.Errorf("encode activity: %w", err)
	}
	names := map[string]string{"#id": attrID, "#owner": attrOwner, "#v": attrVersion, "#u": attrUpdatedAt}
	items := []types.TransactWriteItem{
		transferFrom: {Update: &types.Update{
			TableName: &s.table, Key: key(pk, userSK(t.From.Email)),
			ConditionExpression:      aws.String("#id = :id AND #owner = :true"),
			UpdateExpression:         aws.String("REMOVE #owner SET #v = #v + :one, #u = :at"),
			ExpressionAttributeNames: names,
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":id": str(t.From.ID), ":true": &types.AttributeValueMemberBOOL{Value: true}, ":one": num(1), ":at": at,
			},
		}},
		transferTo: {Update: &types.Update{
			TableName: &s.table, Key: key(pk, userSK(t.To.Email)),
			ConditionExpression:      aws.String("#id = :id AND #v = :v AND contains(#p, :users)"),
			UpdateExpression:         aws.String("SET #owner = :true, #v = :next, #u = :at"),
			ExpressionAttributeNames: map[string]string{"#id": attrID, "#owner": attrOwner, "#v": attrVersion, "#u": attrUpdatedAt, "#p": attrPermissions},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":id": str(t.To.ID), ":v": num(t.To.Version), ":next": num(t.To.Version + 1), ":users": str(string(team.TabUsers)),
				":true": &types.AttributeValueMemberBOOL{Value: true}, ":at": at,
			},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		transferProfile: {Update: &types.Update{
			TableName: &s.table, Key: key(pk, profileSK),
			ConditionExpression:       aws.String("#oid = :from"),
			UpdateExpression:          aws.String("SET #oid = :to, #oemail = :email"),
			ExpressionAttributeNames:  map[string]string{"#oid": attrOwnerID, "#oemail": attrOwnerEmail},
			ExpressionAttributeValues: map[string]types.AttributeValue{":from": str(t.From.ID), ":to": str(t.To.ID), ":email": str(t.To.Email)},
		}},
		transferActivity: {Put: &types.Put{
			TableName: &s.table, Item: activity, ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")"),
		}},
	}
	return &dynamodb.TransactWriteItemsInput{TransactItems: items}, nil
}

// explainTransfer turns a failed transfer into a domain error, and says
// whether to try the same transaction again.
func explainTransfer(err error) (mapped error, retry bool) {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return requestError(err), false
	}
	reasons := canceled.CancellationReasons
	for i, r := range reasons {
		if aws.ToString(r.Code) != reasonConditionalFailed {
			continue
		}
		switch i {
		case transferFrom, transferProfile:
			return team.ErrActorNotAllowed, false
		case transferTo:
			if r.Item == nil {
				return team.ErrNotFound, false
			}
			return team.ErrStale, false
		default:
			return fmt.Errorf("activity record already exists: %w", err), false
		}
	}
	return otherCancellation(reasons, err)
}
