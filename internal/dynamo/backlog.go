package dynamo

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/team"
)

// BacklogClient is the part of the DynamoDB API the backlog uses.
type BacklogClient interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

var _ BacklogClient = (*dynamodb.Client)(nil)

// Backlog finds activity records whose delivery marks (ledger.go) are
// missing: the work redelivery does after the stream has given up on a
// record, and after the stream's 24-hour retention.
type Backlog struct {
	client   BacklogClient
	table    string
	pageSize int
}

var _ delivery.Backlog = (*Backlog)(nil)

// BacklogPageSize is how many records the backlog hands to delivery at a
// time: the size of a stream batch (template.yaml's BatchSize), so that
// redelivery calls SES and EventBridge as the consumer does.
const BacklogPageSize = 100

// NewBacklog returns the Backlog of the table.
func NewBacklog(client BacklogClient, table string) *Backlog {
	return &Backlog{client: client, table: table, pageSize: BacklogPageSize}
}

// Undelivered implements delivery.Backlog. For one business it queries the
// business's partition between the sort keys of the time range, oldest
// first, reading consistently so that marks written a moment ago count.
// For every business it first scans the table for the businesses that have
// undelivered records in the range (a Scan reads the whole table: about
// one read unit per 8 KB, eventually consistent), then queries each of
// them in turn.
func (b *Backlog) Undelivered(ctx context.Context, q delivery.BacklogQuery, page func([]delivery.Record) error) error {
	lo, hi, ok := activitySKRange(q.Since, q.Until)
	if !ok {
		return nil
	}
	businesses := []team.BusinessID{q.BusinessID}
	if q.BusinessID == "" {
		var err error
		if businesses, err = b.businessesWithBacklog(ctx, q, lo, hi); err != nil {
			return err
		}
	}
	for _, biz := range businesses {
		if err := b.business(ctx, biz, q, lo, hi, page); err != nil {
			return err
		}
	}
	return nil
}

// undelivered is the filter of records whose event, or whose due email,
// is not recorded as done (delivered or refused for good).
//
// Only records the second version wrote can be undelivered: they are the
// ones with a history key (AttrByTypePK, on every record it writes). The
// first version kept no delivery marks, so its records, which it delivered
// itself, carry none; without this a redelivery over an upgraded table
// would put an event for every change ever recorded and send a welcome
// email for every invite.
func undelivered(emailTypes []team.ActivityType) expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(AttrByTypePK)).And(unmarked(emailTypes))
}

// unmarked is the filter of records missing a delivery mark they need.
func unmarked(emailTypes []team.ActivityType) expression.ConditionBuilder {
	// A change of email sends a welcome to the new address (under the
	// welcome's mark) and a notice to the old one (under its own).
	emailChanged := expression.AttributeExists(expression.Name(attrChanges + "." + attrEmail)).And(
		expression.AttributeNotExists(expression.Name(attrEmailStatus)).Or(expression.AttributeNotExists(expression.Name(attrNoticeStatus))))
	cond := expression.AttributeNotExists(expression.Name(attrEventStatus)).Or(emailChanged)
	if len(emailTypes) == 0 {
		return cond
	}
	types := make([]expression.OperandBuilder, len(emailTypes))
	for i, t := range emailTypes {
		types[i] = expression.Value(string(t))
	}
	emailDue := expression.Name(attrType).In(types[0], types[1:]...).
		And(expression.AttributeNotExists(expression.Name(attrEmailStatus)))
	return cond.Or(emailDue)
}

// businessesWithBacklog scans the table for the businesses with
// undelivered activity records in the sort-key range, in id order.
func (b *Backlog) businessesWithBacklog(ctx context.Context, q delivery.BacklogQuery, lo, hi string) ([]team.BusinessID, error) {
	filter := expression.Name(attrEntity).Equal(expression.Value(EntityActivity)).
		And(expression.Name(AttrSK).Between(expression.Value(lo), expression.Value(hi))).
		And(undelivered(q.EmailTypes))
	expr, err := expression.NewBuilder().WithFilter(filter).
		WithProjection(expression.NamesList(expression.Name(AttrPK), expression.Name(AttrSK))).Build()
	if err != nil {
		return nil, fmt.Errorf("dynamo: build backlog scan: %w", err)
	}
	found := map[team.BusinessID]bool{}
	in := &dynamodb.ScanInput{
		TableName: &b.table, FilterExpression: expr.Filter(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	for {
		out, err := b.client.Scan(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("dynamo: scan for undelivered activity: %w", requestError(err))
		}
		for _, item := range out.Items {
			if biz, _, ok := activityKey(stringAttribute(item, AttrPK), stringAttribute(item, AttrSK)); ok {
				found[biz] = true
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	out := make([]team.BusinessID, 0, len(found))
	for biz := range found {
		out = append(out, biz)
	}
	slices.Sort(out)
	return out, nil
}

// business hands one business's undelivered records to page, oldest
// first, pageSize at a time.
func (b *Backlog) business(ctx context.Context, biz team.BusinessID, q delivery.BacklogQuery, lo, hi string, page func([]delivery.Record) error) error {
	keyCond := expression.Key(AttrPK).Equal(expression.Value(businessPK(biz))).
		And(expression.Key(AttrSK).Between(expression.Value(lo), expression.Value(hi)))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).WithFilter(undelivered(q.EmailTypes)).Build()
	if err != nil {
		return fmt.Errorf("dynamo: build backlog query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName: &b.table, KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true),
	}
	var pending []delivery.Record
	for {
		out, err := b.client.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("dynamo: query undelivered activity of %s: %w", biz, requestError(err))
		}
		for _, item := range out.Items {
			pending = append(pending, backlogRecord(item))
			if len(pending) == b.pageSize {
				if err := page(pending); err != nil {
					return err
				}
				pending = nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(pending) > 0 {
		return page(pending)
	}
	return nil
}

// backlogRecord reads an activity item as delivery reads a stream record:
// an item that cannot be decoded keeps its keys and says why, so that
// delivery records it as undeliverable.
func backlogRecord(item map[string]types.AttributeValue) delivery.Record {
	biz, id, _ := activityKey(stringAttribute(item, AttrPK), stringAttribute(item, AttrSK))
	r, err := decodeActivity(item)
	if err == nil && (r.ID == "" || r.BusinessID == "" || r.Type == "") {
		err = fmt.Errorf("activity item lacks its id, business or type")
	}
	if err != nil {
		return delivery.Record{ID: id, Activity: team.Activity{ID: id, BusinessID: biz}, Err: fmt.Errorf("dynamo: decode activity: %w", err)}
	}
	return delivery.Record{ID: id, Activity: r.activity()}
}
