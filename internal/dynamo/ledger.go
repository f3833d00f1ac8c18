package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// Delivery marks on an activity record. A mark is written once, under a
// condition that it is absent, so the first outcome recorded is the one kept.
const (
	attrEmailStatus    = "emailStatus" // "sent" or "failed"
	attrEmailMessageID = "emailMessageId"
	attrEmailAt        = "emailAt"
	attrEmailError     = "emailError"
	attrEventStatus    = "eventStatus" // "put" or "failed"
	attrEventAt        = "eventAt"
	attrEventError     = "eventError"
	// The notice to an old address after a change of email.
	attrNoticeStatus    = "noticeStatus" // "sent" or "failed"
	attrNoticeMessageID = "noticeMessageId"
	attrNoticeAt        = "noticeAt"
	attrNoticeError     = "noticeError"
)

// emailMark names the attributes that record one kind of email.
type emailMark struct{ status, messageID, at, reason string }

// emailMarks are where each kind of email is recorded. An activity sends at
// most one welcome email, so the welcome kinds share the mark the ledger
// kept before it told kinds apart: records delivered before stay
// delivered. TestEveryEmailKindHasItsOwnMark holds every kind of
// delivery.EmailKinds to a mark, distinct within each activity's emails.
var emailMarks = map[delivery.EmailKind]emailMark{
	delivery.EmailWelcomeToTarget:     {attrEmailStatus, attrEmailMessageID, attrEmailAt, attrEmailError},
	delivery.EmailWelcomeToNewAddress: {attrEmailStatus, attrEmailMessageID, attrEmailAt, attrEmailError},
	delivery.EmailNoticeToOldAddress:  {attrNoticeStatus, attrNoticeMessageID, attrNoticeAt, attrNoticeError},
}

func markOf(kind delivery.EmailKind) (emailMark, error) {
	m, ok := emailMarks[kind]
	if !ok {
		return emailMark{}, fmt.Errorf("dynamo: no delivery mark for email kind %q", kind)
	}
	return m, nil
}

// LedgerClient is the part of the DynamoDB API the ledger uses.
type LedgerClient interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ LedgerClient = (*dynamodb.Client)(nil)

// Ledger records delivery of activity records on the records themselves.
type Ledger struct {
	client LedgerClient
	table  string
}

var _ delivery.Ledger = (*Ledger)(nil)

// NewLedger returns a Ledger over the table.
func NewLedger(client LedgerClient, table string) *Ledger {
	return &Ledger{client: client, table: table}
}

// State implements delivery.Ledger.
func (l *Ledger) State(ctx context.Context, businessID team.BusinessID, activityID string) (delivery.State, error) {
	out, err := l.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &l.table, Key: key(businessPK(businessID), activitySK(activityID)),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#e, #n, #v"),
		ExpressionAttributeNames: map[string]string{"#e": attrEmailStatus, "#n": attrNoticeStatus, "#v": attrEventStatus},
	})
	if err != nil {
		return delivery.State{}, fmt.Errorf("dynamo: delivery state: %w", requestError(err))
	}
	if out.Item == nil {
		return delivery.State{}, fmt.Errorf("dynamo: delivery state: %w", team.ErrNotFound)
	}
	return stateOf(out.Item), nil
}

// stateOf reads the delivery marks of an activity item: the kinds of email
// done (only those) and whether the event is.
func stateOf(item map[string]types.AttributeValue) delivery.State {
	st := delivery.State{Emails: map[delivery.EmailKind]bool{}}
	for kind, m := range emailMarks {
		if _, done := item[m.status]; done {
			st.Emails[kind] = true
		}
	}
	_, st.EventDone = item[attrEventStatus]
	return st
}

// States implements delivery.Ledger with BatchGetItem, 100 keys a request,
// read consistently: one request for a stream batch instead of one per
// record.
func (l *Ledger) States(ctx context.Context, refs []delivery.ActivityRef) ([]delivery.State, error) {
	out := make([]delivery.State, len(refs))
	index := make(map[[2]string][]int, len(refs))
	for i, r := range refs {
		k := [2]string{businessPK(r.BusinessID), activitySK(r.ActivityID)}
		index[k] = append(index[k], i)
		out[i].Gone = true // until its item is read
	}
	keys := make([][2]string, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	for chunk := range slices.Chunk(keys, maxBatchGet) {
		request := make([]map[string]types.AttributeValue, len(chunk))
		for i, k := range chunk {
			request[i] = key(k[0], k[1])
		}
		items, err := batchGet(ctx, l.client, l.table, types.KeysAndAttributes{
			Keys: request, ConsistentRead: aws.Bool(true),
			ProjectionExpression:     aws.String("#pk, #sk, #e, #n, #v"),
			ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#sk": AttrSK, "#e": attrEmailStatus, "#n": attrNoticeStatus, "#v": attrEventStatus},
		})
		if err != nil {
			return nil, fmt.Errorf("dynamo: delivery states: %w", err)
		}
		for _, item := range items {
			for _, i := range index[[2]string{stringAttribute(item, AttrPK), stringAttribute(item, AttrSK)}] {
				out[i] = stateOf(item)
			}
		}
	}
	return out, nil
}

// EmailSent implements delivery.Ledger.
func (l *Ledger) EmailSent(ctx context.Context, businessID team.BusinessID, activityID string, kind delivery.EmailKind, messageID string, at time.Time) error {
	m, err := markOf(kind)
	if err != nil {
		return err
	}
	return l.mark(ctx, businessID, activityID, m.status, map[string]any{
		m.status: "sent", m.messageID: messageID, m.at: at,
	})
}

// EmailFailed implements delivery.Ledger.
func (l *Ledger) EmailFailed(ctx context.Context, businessID team.BusinessID, activityID string, kind delivery.EmailKind, reason string, at time.Time) error {
	m, err := markOf(kind)
	if err != nil {
		return err
	}
	return l.mark(ctx, businessID, activityID, m.status, map[string]any{
		m.status: "failed", m.reason: truncate(reason), m.at: at,
	})
}

// EventPut implements delivery.Ledger.
func (l *Ledger) EventPut(ctx context.Context, businessID team.BusinessID, activityID string, at time.Time) error {
	return l.mark(ctx, businessID, activityID, attrEventStatus, map[string]any{
		attrEventStatus: "put", attrEventAt: at,
	})
}

// EventFailed implements delivery.Ledger.
func (l *Ledger) EventFailed(ctx context.Context, businessID team.BusinessID, activityID, reason string, at time.Time) error {
	return l.mark(ctx, businessID, activityID, attrEventStatus, map[string]any{
		attrEventStatus: "failed", attrEventError: truncate(reason), attrEventAt: at,
	})
}

var _ delivery.OutcomeRecorder = (*Ledger)(nil)

// RecordOutcomes implements delivery.OutcomeRecorder: one conditional
// UpdateItem sets every outcome's mark, on the condition that none of them
// is set. When one is (a batch delivered again, or redelivery racing the
// stream), each outcome is recorded on its own, so that the marks already
// there keep their first outcome and the others are still written.
func (l *Ledger) RecordOutcomes(ctx context.Context, businessID team.BusinessID, activityID string, outcomes []delivery.Outcome) error {
	var statuses []string
	values := map[string]any{}
	for _, o := range outcomes {
		status, v, err := outcomeMark(o)
		if err != nil {
			return err
		}
		if slices.Contains(statuses, status) {
			// Two outcomes for one mark: only the first may be kept.
			return l.markEach(ctx, businessID, activityID, outcomes)
		}
		statuses = append(statuses, status)
		for name, value := range v {
			values[name] = value
		}
	}
	if len(statuses) == 0 {
		return nil
	}
	err := l.write(ctx, businessID, activityID, statuses, values)
	var done *types.ConditionalCheckFailedException
	if errors.As(err, &done) && len(statuses) > 1 {
		return l.markEach(ctx, businessID, activityID, outcomes)
	}
	if errors.As(err, &done) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamo: mark %v: %w", statuses, requestError(err))
	}
	return nil
}

// markEach records outcomes one write each.
func (l *Ledger) markEach(ctx context.Context, businessID team.BusinessID, activityID string, outcomes []delivery.Outcome) error {
	for _, o := range outcomes {
		status, values, err := outcomeMark(o)
		if err != nil {
			return err
		}
		if err := l.mark(ctx, businessID, activityID, status, values); err != nil {
			return err
		}
	}
	return nil
}

// outcomeMark is the status attribute and the attributes that record an
// outcome, as EmailSent, EmailFailed, EventPut and EventFailed write them.
func outcomeMark(o delivery.Outcome) (string, map[string]any, error) {
	if o.Email == "" {
		if o.Failed {
			return attrEventStatus, map[string]any{attrEventStatus: "failed", attrEventError: truncate(o.Reason), attrEventAt: o.At}, nil
		}
		return attrEventStatus, map[string]any{attrEventStatus: "put", attrEventAt: o.At}, nil
	}
	m, err := markOf(o.Email)
	if err != nil {
		return "", nil, err
	}
	if o.Failed {
		return m.status, map[string]any{m.status: "failed", m.reason: truncate(o.Reason), m.at: o.At}, nil
	}
	return m.status, map[string]any{m.status: "sent", m.messageID: o.MessageID, m.at: o.At}, nil
}

// truncate keeps failure reasons from growing an item without bound.
func truncate(s string) string {
	const max = 1000
	if len(s) > max {
		return s[:max]
	}
	return s
}

// mark sets attributes on an activity record unless status is already set.
// A failed condition means the outcome was recorded before (a retried
// batch): that is success, not an error.
func (l *Ledger) mark(ctx context.Context, businessID team.BusinessID, activityID, status string, values map[string]any) error {
	err := l.write(ctx, businessID, activityID, []string{status}, values)
	var done *types.ConditionalCheckFailedException
	if errors.As(err, &done) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dynamo: mark %s: %w", status, requestError(err))
	}
	return nil
}

// write sets attributes on an activity record if it exists and none of
// the statuses is set yet, in one conditional UpdateItem. It returns the
// client's error as it is, a *types.ConditionalCheckFailedException when
// the condition failed.
func (l *Ledger) write(ctx context.Context, businessID team.BusinessID, activityID string, statuses []string, values map[string]any) error {
	var update expression.UpdateBuilder
	for name, v := range values {
		if t, ok := v.(time.Time); ok {
			v = t.UTC().Format(time.RFC3339Nano)
		}
		update = update.Set(expression.Name(name), expression.Value(v))
	}
	cond := expression.AttributeExists(expression.Name(AttrPK))
	for _, status := range statuses {
		cond = cond.And(expression.AttributeNotExists(expression.Name(status)))
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("dynamo: build delivery mark: %w", err)
	}
	_, err = l.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &l.table, Key: key(businessPK(businessID), activitySK(activityID)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	return err
}
