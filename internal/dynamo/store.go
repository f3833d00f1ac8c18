package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/businessapp/usermanagement/internal/team"
)

// Client is the part of the DynamoDB API the store uses.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// Store is the team.Store over one DynamoDB table.
type Store struct {
	client Client
	table  string
}

var _ team.Store = (*Store)(nil)

// NewStore returns a Store over the table.
func NewStore(client Client, table string) *Store {
	return &Store{client: client, table: table}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// Business implements team.Store.
func (s *Store) Business(ctx context.Context, businessID team.BusinessID) (team.Business, error) {
	item, err := s.get(ctx, key(businessPK(businessID), profileSK))
	if err != nil {
		return team.Business{}, fmt.Errorf("dynamo: business %s: %w", businessID, err)
	}
	var r profileRecord
	if err := attributevalue.UnmarshalMap(item, &r); err != nil {
		return team.Business{}, fmt.Errorf("dynamo: business %s: decode item: %w", businessID, err)
	}
	return r.business(), nil
}

// User implements team.Store.
func (s *Store) User(ctx context.Context, businessID team.BusinessID, email string) (team.User, error) {
	item, err := s.get(ctx, key(businessPK(businessID), userSK(email)))
	if err != nil {
		return team.User{}, fmt.Errorf("dynamo: user: %w", err)
	}
	r, err := decodeUser(item)
	if err != nil {
		return team.User{}, fmt.Errorf("dynamo: user: decode item: %w", err)
	}
	return r.user(), nil
}

// get reads one item consistently: a change must be visible to the very
// next request (invariant I4).
func (s *Store) get(ctx context.Context, k map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, requestError(err)
	}
	if out.Item == nil {
		return nil, team.ErrNotFound
	}
	return out.Item, nil
}

// Users implements team.Store.
func (s *Store) Users(ctx context.Context, businessID team.BusinessID, page team.PageRequest) (team.UserPage, error) {
	items, next, err := s.query(ctx, businessID, userPrefix, page, true)
	if err != nil {
		return team.UserPage{}, fmt.Errorf("dynamo: users: %w", err)
	}
	out := team.UserPage{Users: make([]team.User, 0, len(items)), NextCursor: next}
	for _, item := range items {
		r, err := decodeUser(item)
		if err != nil {
			return team.UserPage{}, fmt.Errorf("dynamo: decode user: %w", err)
		}
		out.Users = append(out.Users, r.user())
	}
	return out, nil
}

// Activity implements team.Store.
func (s *Store) Activity(ctx context.Context, businessID team.BusinessID, page team.PageRequest) (team.ActivityPage, error) {
	items, next, err := s.query(ctx, businessID, activityPrefix, page, false)
	if err != nil {
		return team.ActivityPage{}, fmt.Errorf("dynamo: activity: %w", err)
	}
	out := team.ActivityPage{Activity: make([]team.Activity, 0, len(items)), NextCursor: next}
	for _, item := range items {
		r, err := decodeActivity(item)
		if err != nil {
			return team.ActivityPage{}, fmt.Errorf("dynamo: decode activity: %w", err)
		}
		out.Activity = append(out.Activity, r.activity())
	}
	return out, nil
}

// query reads one page of the items whose sort key starts with prefix. It
// asks for one item more than the page so that the last page never carries
// a cursor to an empty page.
func (s *Store) query(ctx context.Context, businessID team.BusinessID, prefix string, page team.PageRequest, ascending bool) ([]map[string]types.AttributeValue, string, error) {
	after, err := decodeCursor(page.Cursor, businessID, prefix)
	if err != nil {
		return nil, "", err
	}
	cond := expression.Key(AttrPK).Equal(expression.Value(businessPK(businessID))).
		And(expression.Key(AttrSK).BeginsWith(prefix))
	expr, err := expression.NewBuilder().WithKeyCondition(cond).Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(ascending),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(page.Limit + 1)),
	}
	if after != "" {
		in.ExclusiveStartKey = key(businessPK(businessID), after)
	}
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return nil, "", requestError(err)
	}
	items, next := out.Items, ""
	if len(items) > page.Limit {
		items = items[:page.Limit]
		sk, _ := items[len(items)-1][AttrSK].(*types.AttributeValueMemberS)
		if sk == nil {
			return nil, "", errors.New("item without sort key")
		}
		next = encodeCursor(businessID, prefix, sk.Value)
	}
	return items, next, nil
}

// CreateBusiness adds a business profile and its owner in one transaction.
// Errors: team.ErrBusinessExists.
func (s *Store) CreateBusiness(ctx context.Context, b team.Business, owner team.User) error {
	profile, err := attributevalue.MarshalMap(toProfileRecord(b))
	if err != nil {
		return fmt.Errorf("dynamo: encode business: %w", err)
	}
	user, err := attributevalue.MarshalMap(toUserRecord(owner))
	if err != nil {
		return fmt.Errorf("dynamo: encode owner: %w", err)
	}
	notExists := "attribute_not_exists(" + AttrPK + ")"
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: profile, ConditionExpression: &notExists}},
		{Put: &types.Put{TableName: &s.table, Item: user}},
	}})
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && len(canceled.CancellationReasons) > 0 &&
		aws.ToString(canceled.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return fmt.Errorf("dynamo: create business %s: %w", b.ID, team.ErrBusinessExists)
	}
	if err != nil {
		return fmt.Errorf("dynamo: create business %s: %w", b.ID, requestError(err))
	}
	return nil
}

// requestError marks throttling that survived the SDK's retries, and a
// database that did not answer in time (the request's deadline passed, a
// connection timed out, or the SDK's retry quota ran out on such failures),
// so clients are told to retry later instead of seeing an internal error.
func requestError(err error) error {
	if unavailable(err) {
		return fmt.Errorf("%w: %w", team.ErrUnavailable, err)
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
			return fmt.Errorf("%w: %w", team.ErrRateLimited, err)
		}
	}
	return err
}

// Conflict retries: DynamoDB cancels a transaction that overlaps another one
// in flight on the same item (TransactionConflict). Neither request did
// anything wrong, so the loser is retried after a short randomised pause.
const (
	conflictAttempts = 8
	conflictBase     = 5 * time.Millisecond
)

// Apply implements team.Store: the whole mutation is one TransactWriteItems.
func (s *Store) Apply(ctx context.Context, m team.Mutation) error {
	tx, err := s.transaction(m)
	if err != nil {
		return fmt.Errorf("dynamo: apply: %w", err)
	}
	for attempt := 1; ; attempt++ {
		// The token makes the SDK's own retries of this attempt idempotent:
		// a commit whose response was lost is not applied twice.
		tx.input.ClientRequestToken = aws.String(m.Activity.ID + "-" + strconv.Itoa(attempt))
		_, err := s.client.TransactWriteItems(ctx, tx.input)
		if err == nil {
			return nil
		}
		mapped, retry := tx.explain(err)
		if !retry || attempt == conflictAttempts {
			return fmt.Errorf("dynamo: apply %s: %w", m.Activity.Type, mapped)
		}
		pause := conflictBase<<(attempt-1) + rand.N(conflictBase<<(attempt-1))
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamo: apply %s: %w", m.Activity.Type, requestError(ctx.Err()))
		case <-time.After(pause):
		}
	}
}

// unavailable reports errors that mean the database did not answer in time
// (invariant I11): the request's deadline, a network timeout, or the SDK's
// retry quota, which only runs out after many such failures in a row.
func unavailable(err error) bool {
	var netErr net.Error
	var quota ratelimit.QuotaExceededError
	return errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()) ||
		errors.As(err, &quota)
}
