package dynamo

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

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
	roleRateSlot             // the email budget slot is still free (rate.go)
	roleActivity             // the activity record
	roleCounter              // a shard of the user count (no condition)
	roleIndex                // an index item of the user list (no condition)
)

// transaction is a built TransactWriteItems with the role of each item.
type transaction struct {
	input *dynamodb.TransactWriteItemsInput
	roles []role
	// resendOf is the user as read when the transaction is a resend
	// (Mutation.LimitResend): its item's failed condition is then told
	// apart as "changed" or "sent too recently".
	resendOf *team.User
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
		revision := expression.Name(attrVersion).Equal(expression.Value(m.Before.Version)).
			And(expression.Name(attrID).Equal(expression.Value(m.Before.ID)))
		if m.LimitResend {
			revision = revision.And(resendCondition(m.Activity.At))
			t.resendOf = m.Before
		}
		expr, err := expression.NewBuilder().WithCondition(revision).Build()
		if err != nil {
			return nil, err
		}
		if emailChanges {
			// The owner's item is never deleted, by a removal or an email
			// change (invariant I9): the condition makes that atomic even
			// if ownership moved to this user after the read.
			expr, err := expression.NewBuilder().WithCondition(
				revision.And(expression.AttributeNotExists(expression.Name(attrOwner)))).Build()
			if err != nil {
				return nil, err
			}
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

	indexItems, err := userIndexWrites(s.table, m.Before, m.After)
	if err != nil {
		return nil, err
	}
	for _, item := range indexItems {
		add(roleIndex, item)
	}

	if users, invited := countDelta(m); users != 0 || invited != 0 {
		add(roleCounter, counterUpdate(s.table, pk, rand.N(counterShards), users, invited))
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

// resendCondition is the per-user limit of a resend at now (SPEC §4, one
// every team.ResendInterval), as a condition on the user's item: no
// invitation recorded, or the last one sent at or before F, the whole
// second at or just before now - ResendInterval, which is exactly
// team.ResendAllowed. invitationSentAt is stored as RFC 3339 text in UTC
// whose fraction of a second is cut short of trailing zeros (and left out
// when it is zero), so two such texts within one second do not compare as
// their instants do; up to the seconds they are fixed-width digits. Hence
// the two comparisons: every instant before F writes a text smaller than
// F's up to the seconds, F itself writes that text and "Z", and every
// later instant writes a text that is neither.
func resendCondition(now time.Time) expression.ConditionBuilder {
	f := now.Add(-team.ResendInterval).UTC().Truncate(time.Second).Format("2006-01-02T15:04:05")
	sent := expression.Name(attrSentAt)
	return expression.AttributeNotExists(sent).
		Or(sent.LessThan(expression.Value(f))).
		Or(sent.Equal(expression.Value(f + "Z")))
}

// explainResend tells why a resend's condition on the user's item failed,
// from the item as it was: another revision (ErrStale, which the Service
// retries or answers with precedence to If-Match), or the revision read
// with an invitation sent too recently.
func (t *transaction) explainResend(item map[string]types.AttributeValue) error {
	r, err := decodeUser(item)
	if err != nil || r.ID != t.resendOf.ID || r.Version != t.resendOf.Version {
		return team.ErrStale
	}
	return &team.ResendTooSoonError{RetryAt: team.NextResendAt(timeOf(r.InvitationSentAt))}
}

// with returns a copy of the transaction with item added before the
// activity record, which stays last.
func (t *transaction) with(r role, item types.TransactWriteItem) *transaction {
	last := len(t.roles) - 1
	c := &transaction{input: &dynamodb.TransactWriteItemsInput{}, resendOf: t.resendOf}
	c.roles = append(append(append(c.roles, t.roles[:last]...), r), t.roles[last])
	items := t.input.TransactItems
	c.input.TransactItems = append(append(append(c.input.TransactItems, items[:last]...), item), items[last])
	return c
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
			if _, owner := r.Item[attrOwner]; owner && t.input.TransactItems[i].Delete != nil {
				return team.ErrOwnerProtected, false
			}
			if t.resendOf != nil {
				return t.explainResend(r.Item), false
			}
			return team.ErrStale, false
		case roleNewEmail:
			return team.ErrUserExists, false
		case roleRateSlot:
			return errSlotTaken, false
		default:
			return fmt.Errorf("activity record already exists (index %d): %w", i, err), false
		}
	}
	return otherCancellation(reasons, err)
}

// otherCancellation explains a cancelled transaction none of whose
// conditions failed, for every transaction of the store: a conflict with
// another transaction, or throttling, is worth trying again (throttling as
// team.ErrRateLimited); any other reason is not.
func otherCancellation(reasons []types.CancellationReason, err error) (mapped error, retry bool) {
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

// countDelta is what a mutation changes the user count by: one more for a
// new user, one fewer for a removal, nothing for a change (an email change
// replaces one item by another); and the count of invited users: one more
// for each invited user written, one fewer for each replaced or removed
// (an invite, an activation, a removal of an invited user, a manager's
// change of an active user's email, which invites them again).
func countDelta(m team.Mutation) (users, invited int64) {
	switch {
	case m.Before == nil && m.After != nil:
		users = 1
	case m.Before != nil && m.After == nil:
		users = -1
	}
	return users, invitedCount(m.After) - invitedCount(m.Before)
}

// invitedCount is 1 for an invited user, 0 for an active one or none.
func invitedCount(u *team.User) int64 {
	if u == nil || u.IsActive() {
		return 0
	}
	return 1
}

// counterUpdate adds users to one shard of the business's user count and
// invited to its count of invited users (either may be 0, not both). ADD
// creates the shard at 0 when it is missing and needs no condition, so it
// never fails a transaction; it only conflicts with another transaction on
// the same shard in flight, which Apply retries.
func counterUpdate(table, pk string, shard int, users, invited int64) types.TransactWriteItem {
	update, names, values := "", map[string]string{}, map[string]types.AttributeValue{}
	for _, c := range []struct {
		attr, name, value string
		delta             int64
	}{{attrUsers, "#users", ":d", users}, {attrInvited, "#invited", ":i", invited}} {
		if c.delta == 0 {
			continue
		}
		if update != "" {
			update += ", "
		}
		update += c.name + " " + c.value
		names[c.name] = c.attr
		values[c.value] = &types.AttributeValueMemberN{Value: strconv.FormatInt(c.delta, 10)}
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &table, Key: key(pk, counterSK(shard)),
		UpdateExpression:         aws.String("ADD " + update),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}}
}

// userIndexWrites returns the writes that take the user list's index items
// (userIndexRecords) from those of before to those of after (either may be
// nil): deletes of the items only before has, puts of the items after has
// that are new or differ. Unchanged items are not written, so a change that
// touches neither the email, the names nor the permissions writes none.
// The order is the sort keys', so that a transaction is the same every
// time it is built.
func userIndexWrites(table string, before, after *team.User) ([]types.TransactWriteItem, error) {
	var old, now map[string]userIndexRecord
	if before != nil {
		old = userIndexRecords(*before)
	}
	if after != nil {
		now = userIndexRecords(*after)
	}
	var out []types.TransactWriteItem
	for _, sk := range slices.Sorted(maps.Keys(old)) {
		if _, kept := now[sk]; !kept {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: &table, Key: key(old[sk].PK, sk)}})
		}
	}
	for _, sk := range slices.Sorted(maps.Keys(now)) {
		if prev, ok := old[sk]; ok && prev == now[sk] {
			continue
		}
		item, err := attributevalue.MarshalMap(now[sk])
		if err != nil {
			return nil, fmt.Errorf("encode index item: %w", err)
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: item}})
	}
	return out, nil
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
