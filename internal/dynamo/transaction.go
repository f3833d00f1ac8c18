package dynamo

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// role says why an item is in a transaction, which is how a cancellation
// reason at the same index is turned into a domain error.
type role int

const (
	roleActor    role = iota // the caller still manages users
	roleProfile              // the granted tabs are enabled
	roleBefore               // the changed user is still at the version read
	roleNewEmail             // the new email is free
	roleActivity             // the activity record
)

// transaction is a built TransactWriteItems with the role of each item.
type transaction struct {
	input *dynamodb.TransactWriteItemsInput
	roles []role
}

// Cancellation reason codes DynamoDB reports per item.
const (
	reasonNone                = "None"
	reasonConditionalFailed   = "ConditionalCheckFailed"
	reasonTransactionConflict = "TransactionConflict"
	reasonThrottling          = "ThrottlingError"
	reasonThroughputExceeded  = "ProvisionedThroughputExceeded"
)

func (s *Store) transaction(m team.Mutation) (*transaction, error) {
	t := &transaction{input: &dynamodb.TransactWriteItemsInput{}}
	pk := businessPK(m.BusinessID)
	add := func(r role, item types.TransactWriteItem) {
		t.roles = append(t.roles, r)
		t.input.TransactItems = append(t.input.TransactItems, item)
	}

	// The actor check comes first: its failure must win over every other
	// reason, so that an outsider learns nothing about the business.
	if m.Before == nil || m.Before.Email != m.Actor {
		// Active: an invited caller is activated by their request before
		// it writes, and users stored before the lifecycle have no status.
		expr, err := expression.NewBuilder().WithCondition(
			expression.Contains(expression.Name(attrPermissions), string(team.TabUsers)).And(
				expression.AttributeNotExists(expression.Name(attrStatus)).Or(
					expression.Name(attrStatus).Equal(expression.Value(string(team.StatusActive)))))).Build()
		if err != nil {
			return nil, err
		}
		add(roleActor, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(pk, userSK(m.Actor)),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}})
	}

	// Checking the tabs with a condition on the profile costs no read; on
	// failure the profile comes back with the reason, for the message.
	if len(m.RequireTabs) > 0 {
		var cond expression.ConditionBuilder
		for i, tab := range m.RequireTabs {
			c := expression.Contains(expression.Name(attrTabs), string(tab))
			if i == 0 {
				cond = c
			} else {
				cond = cond.And(c)
			}
		}
		expr, err := expression.NewBuilder().WithCondition(cond).Build()
		if err != nil {
			return nil, err
		}
		add(roleProfile, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
			TableName: &s.table, Key: key(pk, profileSK),
			ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}

	emailChanges := m.Before == nil || m.After == nil || m.Before.Email != m.After.Email
	if m.Before != nil {
		// The revision condition also proves the item exists. On failure the
		// old item comes back, which tells "removed" from "changed". The id
		// is part of it: a user removed and invited again at the address
		// starts at version 1 again, but is another person (I8).
		expr, err := expression.NewBuilder().WithCondition(
			expression.Name(attrVersion).Equal(expression.Value(m.Before.Version)).
				And(expression.Name(attrID).Equal(expression.Value(m.Before.ID)))).Build()
		if err != nil {
			return nil, err
		}
		if emailChanges {
			add(roleBefore, types.TransactWriteItem{Delete: &types.Delete{
				TableName: &s.table, Key: key(pk, userSK(m.Before.Email)),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}})
		} else {
			item, err := attributevalue.MarshalMap(toUserRecord(*m.After))
			if err != nil {
				return nil, fmt.Errorf("encode user: %w", err)
			}
			add(roleBefore, types.TransactWriteItem{Put: &types.Put{
				TableName: &s.table, Item: item,
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}})
		}
	}
	if m.After != nil && emailChanges {
		item, err := attributevalue.MarshalMap(toUserRecord(*m.After))
		if err != nil {
			return nil, fmt.Errorf("encode user: %w", err)
		}
		add(roleNewEmail, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")"),
		}})
	}

	if m.SkipActivity {
		return t, nil
	}
	activity, err := attributevalue.MarshalMap(toActivityRecord(m.Activity))
	if err != nil {
		return nil, fmt.Errorf("encode activity: %w", err)
	}
	add(roleActivity, types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: activity, ConditionExpression: aws.String("attribute_not_exists(" + AttrPK + ")"),
	}})
	return t, nil
}

// explain turns a failed TransactWriteItems into a domain error, and says
// whether the same transaction should be tried again.
func (t *transaction) explain(err error) (mapped error, retry bool) {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return requestError(err), false
	}
	reasons := canceled.CancellationReasons
	// A failed condition is an answer; report the one that matters most,
	// in the order roles were added.
	for i, r := range reasons {
		if i >= len(t.roles) || aws.ToString(r.Code) != reasonConditionalFailed {
			continue
		}
		switch t.roles[i] {
		case roleActor:
			return team.ErrActorNotAllowed, false
		case roleProfile:
			return tabsNotEnabled(r.Item), false
		case roleBefore:
			if r.Item == nil {
				return team.ErrNotFound, false
			}
			return team.ErrStale, false
		case roleNewEmail:
			return team.ErrUserExists, false
		default:
			return fmt.Errorf("activity record already exists (index %d): %w", i, err), false
		}
	}
	throttled := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case reasonNone, "", reasonTransactionConflict:
		case reasonThrottling, reasonThroughputExceeded:
			throttled = true
		default:
			return fmt.Errorf("transaction canceled: %s: %w", reasonSummary(reasons), err), false
		}
	}
	if throttled {
		return fmt.Errorf("%w: %s", team.ErrRateLimited, reasonSummary(reasons)), true
	}
	return fmt.Errorf("transaction conflict: %s: %w", reasonSummary(reasons), err), true
}

func tabsNotEnabled(profile map[string]types.AttributeValue) error {
	if profile == nil {
		return team.ErrTabsNotEnabled
	}
	var r profileRecord
	if err := attributevalue.UnmarshalMap(profile, &r); err != nil {
		return team.ErrTabsNotEnabled
	}
	return &team.TabsNotEnabledError{Enabled: r.business().Tabs}
}

func reasonSummary(reasons []types.CancellationReason) string {
	s := ""
	for i, r := range reasons {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(i) + "=" + aws.ToString(r.Code)
	}
	return s
}
