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
	// BatchGetItem reads back the users a list's index items name.
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
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

// businessQuery is the one Query that reads a business: its user-count
// shards and its profile, which sort next to each other (COUNT# < PROFILE),
// consistently, so that the total is exact.
func businessQuery(table string, businessID team.BusinessID) (*dynamodb.QueryInput, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(businessPK(businessID))).
			And(expression.Key(AttrSK).Between(expression.Value(counterPrefix), expression.Value(profileSK)))).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	return &dynamodb.QueryInput{
		TableName: aws.String(table), KeyConditionExpression: expr.KeyCondition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true),
	}, nil
}

// Business implements team.Store. One consistent Query reads the profile
// and every shard of the user count ("COUNT#" sorts just before
// "PROFILE"), so the total is exact and costs no second request.
func (s *Store) Business(ctx context.Context, businessID team.BusinessID) (team.Business, error) {
	in, err := businessQuery(s.table, businessID)
	if err != nil {
		return team.Business{}, fmt.Errorf("dynamo: business %s: %w", businessID, err)
	}
	out, err := s.client.Query(ctx, in)
	if err != nil {
		return team.Business{}, fmt.Errorf("dynamo: business %s: %w", businessID, requestError(err))
	}
	var (
		b              team.Business
		found          bool
		total, invited int64
	)
	for _, item := range out.Items {
		d := itemDecoder{item: item}
		if d.str(AttrSK) != profileSK {
			total += d.int(attrUsers)
			invited += d.int(attrInvited)
			if err := d.failed(); err != nil {
				return team.Business{}, fmt.Errorf("dynamo: business %s: decode counter: %w", businessID, err)
			}
			continue
		}
		var r profileRecord
		if err := attributevalue.UnmarshalMap(item, &r); err != nil {
			return team.Business{}, fmt.Errorf("dynamo: business %s: decode item: %w", businessID, err)
		}
		// The tombstone of a deleted business: from the instant it is
		// written the business does not exist for any request.
		b, found = r.business(), !r.Deleted
	}
	if !found {
		return team.Business{}, fmt.Errorf("dynamo: business %s: %w", businessID, team.ErrNotFound)
	}
	b.Total, b.Invited = total, invited
	return b, nil
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

// Activity implements team.Store. Unfiltered, it reads the business's
// partition of the table. Filtered by user, it reads the user's partition
// of the ByUser index; by type alone, the type's partition of ByType. A
// page of either costs the same however much other activity the business
// has. Type and user together read the user's ByUser partition with a
// filter on the type: the work is bounded by one user's history, which
// grows only with changes made to that one user, so a third index (another
// write unit on every change) would not pay for itself.
func (s *Store) Activity(ctx context.Context, businessID team.BusinessID, filter team.ActivityFilter, page team.PageRequest) (team.ActivityPage, error) {
	l := tableList(businessID, activityPrefix, false)
	switch {
	case filter.UserID != "":
		l.index, l.pkAttr, l.pk = IndexByUser, AttrByUserPK, activityByUserPK(businessID, filter.UserID)
		l.onlyType = filter.Type
	case filter.Type != "":
		l.index, l.pkAttr, l.pk = IndexByType, AttrByTypePK, activityByTypePK(businessID, filter.Type)
	}
	l.filter = activityFilterID(filter)
	items, next, err := s.query(ctx, l, page)
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

// activityFilterID is what a cursor of a filtered activity list is bound
// to, so that it is refused under any other filter.
func activityFilterID(f team.ActivityFilter) string {
	if f.IsZero() {
		return ""
	}
	return "type=" + string(f.Type) + "&userId=" + f.UserID
}

// list is one partition to page through: of the table or of an index.
type list struct {
	businessID team.BusinessID
	index      string // "" for the table
	pkAttr     string // the partition-key attribute of the table or index
	pk         string
	prefix     string // of the sort key (AttrSK, in the table and every index)
	ascending  bool
	// onlyType, when set, keeps only activity of this type (a filter
	// expression: DynamoDB reads the others, and the read counts).
	onlyType team.ActivityType
	// filter is what the list's cursors are bound to besides the business
	// and the prefix ("" when unfiltered).
	filter string
}

func tableList(businessID team.BusinessID, prefix string, ascending bool) list {
	return list{businessID: businessID, pkAttr: AttrPK, pk: businessPK(businessID), prefix: prefix, ascending: ascending}
}

// maxFilteredReads bounds how many items one page of a list with a filter
// expression reads. When the bound is reached the page ends early with a
// cursor after the last item read, as SPEC §4 allows for filtered lists.
const maxFilteredReads = 1000

// query reads one page of the list. It asks for one item more than the
// page, so that the last page never carries a cursor to an empty page.
// Reads of the table are consistent; an index can only be read eventually
// consistently, which is acceptable for history.
func (s *Store) query(ctx context.Context, l list, page team.PageRequest) ([]map[string]types.AttributeValue, string, error) {
	after, err := decodeCursor(page.Cursor, l.businessID, l.prefix, l.filter)
	if err != nil {
		return nil, "", err
	}
	cond := expression.Key(l.pkAttr).Equal(expression.Value(l.pk)).
		And(expression.Key(AttrSK).BeginsWith(l.prefix))
	builder := expression.NewBuilder().WithKeyCondition(cond)
	if l.onlyType != "" {
		builder = builder.WithFilter(expression.Name(attrType).Equal(expression.Value(string(l.onlyType))))
	}
	expr, err := builder.Build()
	if err != nil {
		return nil, "", fmt.Errorf("build query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ScanIndexForward:          aws.Bool(l.ascending),
	}
	if l.index == "" {
		in.ConsistentRead = aws.Bool(true)
	} else {
		in.IndexName = aws.String(l.index)
	}
	if after != "" {
		in.ExclusiveStartKey = key(businessPK(l.businessID), after)
		if l.index != "" {
			in.ExclusiveStartKey[l.pkAttr] = &types.AttributeValueMemberS{Value: l.pk}
		}
	}
	want := page.Limit + 1
	var (
		items    []map[string]types.AttributeValue
		lastRead map[string]types.AttributeValue
		read     int
	)
	// Without a filter expression the first request returns the whole page
	// (a page of items is far below a response's 1 MB). With one, each
	// further request reads twice as many items as the one before, up to
	// maxFilteredReads in all.
	for round := 0; len(items) < want; round++ {
		n := want - len(items)
		if l.onlyType != "" {
			n = min(n<<round, maxFilteredReads-read)
		}
		in.Limit = aws.Int32(int32(n))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, "", requestError(err)
		}
		items = append(items, out.Items...)
		read += int(out.ScannedCount)
		lastRead = out.LastEvaluatedKey
		if lastRead == nil || (l.onlyType != "" && read >= maxFilteredReads) {
			break
		}
		in.ExclusiveStartKey = lastRead
	}
	next := ""
	switch {
	case len(items) > page.Limit:
		items = items[:page.Limit]
		if next, err = cursorAfter(l, items[len(items)-1]); err != nil {
			return nil, "", err
		}
	case lastRead != nil:
		// The read stopped at its bound with fewer matches than a page:
		// the next page starts after the last item read, matched or not.
		if next, err = cursorAfter(l, lastRead); err != nil {
			return nil, "", err
		}
	}
	return items, next, nil
}

func cursorAfter(l list, item map[string]types.AttributeValue) (string, error) {
	sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
	if sk == nil {
		return "", errors.New("item without sort key")
	}
	return encodeCursor(l.businessID, l.prefix, l.filter, sk.Value), nil
}

// CreateBusiness adds a business profile and its owner in one transaction:
// the owner is named on the profile, flagged on their item, and counted.
// Errors: team.ErrBusinessExists.
func (s *Store) CreateBusiness(ctx context.Context, b team.Business, owner team.User) error {
	owner.IsOwner = true
	b.OwnerID, b.OwnerEmail = owner.ID, owner.Email
	profile, err := attributevalue.MarshalMap(toProfileRecord(b))
	if err != nil {
		return fmt.Errorf("dynamo: encode business: %w", err)
	}
	user, err := attributevalue.MarshalMap(toUserRecord(owner))
	if err != nil {
		return fmt.Errorf("dynamo: encode owner: %w", err)
	}
	indexItems, err := userIndexWrites(s.table, nil, &owner)
	if err != nil {
		return fmt.Errorf("dynamo: encode owner: %w", err)
	}
	notExists := "attribute_not_exists(" + AttrPK + ")"
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: profile, ConditionExpression: &notExists}},
		{Put: &types.Put{TableName: &s.table, Item: user}},
		counterUpdate(s.table, businessPK(b.ID), rand.N(counterShards), 1, invitedCount(&owner)),
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, indexItems...)})
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
// A mutation with an EmailBudget also reads the business's rate shards
// first and uses one free slot in the same transaction (rate.go).
func (s *Store) Apply(ctx context.Context, m team.Mutation) error {
	tx, err := s.transaction(m)
	if err != nil {
		return fmt.Errorf("dynamo: apply: %w", err)
	}
	if m.EmailBudget > 0 {
		return s.applyWithSlot(ctx, m, tx)
	}
	return s.commit(ctx, m, tx, "")
}

// commit runs the transaction, retrying it while it loses to concurrent
// transactions on the same items. tokens tells the idempotency tokens of
// different transactions of one mutation apart.
func (s *Store) commit(ctx context.Context, m team.Mutation, tx *transaction, tokens string) error {
	for attempt := 1; ; attempt++ {
		// The token makes the SDK's own retries of this attempt idempotent:
		// a commit whose response was lost is not applied twice.
		tx.input.ClientRequestToken = aws.String(m.Activity.ID + "-" + tokens + strconv.Itoa(attempt))
		_, err := s.client.TransactWriteItems(ctx, tx.input)
		if err == nil {
			return nil
		}
		mapped, retry := tx.explain(err)
		if !retry || attempt == conflictAttempts {
			return fmt.Errorf("dynamo: apply %s: %w", m.Activity.Type, mapped)
		}
		if err := pause(ctx, attempt); err != nil {
			return fmt.Errorf("dynamo: apply %s: %w", m.Activity.Type, err)
		}
	}
}

// pause waits before the next attempt of a transaction that lost a
// conflict: a randomised, doubling pause, or until the context ends.
func pause(ctx context.Context, attempt int) error {
	d := conflictBase<<(attempt-1) + rand.N(conflictBase<<(attempt-1))
	select {
	case <-ctx.Done():
		return requestError(ctx.Err())
	case <-time.After(d):
		return nil
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
