package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// The email budget (invariant I10) is exact and has no hot item. A budget
// of N sends per rolling hour is N slots, spread over S = min(maxRateShards,
// N) items RATE#<s> of the business's partition: slot j lives in the map
// "slots" of shard j mod S, as the epoch milliseconds of the send that last
// used it. A slot is free when it is missing or older than the window. A
// send commits, in its own transaction, an Update of one free slot to its
// own time, conditioned on the slot still being free; N slots, each used at
// most once per window, can never carry more than N sends in any window,
// however many requests race. Concurrent sends land on different shards
// most of the time, so they rarely conflict (see pick).

// maxRateShards bounds how many items a budget is spread over: enough that
// concurrent sends of one business rarely meet on one item, few enough that
// reading them all stays one small Query.
const maxRateShards = 8

// slotAttempts bounds how often a send picks another slot after losing the
// one it picked to a concurrent send. Each loss is another send that
// succeeded, so the bound is reached only when many sends race for the
// last free slots.
const slotAttempts = 8

// errSlotTaken: the slot picked for a send was used by another send
// between the read of the shards and the commit.
var errSlotTaken = errors.New("dynamo: email budget slot taken by a concurrent send")

// budget is what one read of a business's rate shards found.
type budget struct {
	n, shards int
	// exists says which shard items exist (a missing one is created by the
	// first send that uses one of its slots).
	exists []bool
	// used holds, per shard, each used slot's last send in epoch ms. Only
	// slots ever used are stored, so its size follows the sends, not n.
	used []map[int]int64
}

func shardsOf(n int) int { return min(maxRateShards, n) }

// readBudget reads every rate shard of the business with one Query. The
// first read of a send may be eventually consistent, since the slot's
// condition protects the limit; a read after losing a slot is consistent,
// so that the next pick does not repeat a stale view.
func (s *Store) readBudget(ctx context.Context, businessID team.BusinessID, n int, consistent bool) (budget, error) {
	b := budget{n: n, shards: shardsOf(n)}
	b.exists = make([]bool, b.shards)
	b.used = make([]map[int]int64, b.shards)
	in, err := budgetQuery(s.table, businessID, consistent)
	if err != nil {
		return budget{}, err
	}
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return budget{}, requestError(err)
		}
		for _, item := range out.Items {
			var r rateRecord
			if err := attributevalue.UnmarshalMap(item, &r); err != nil {
				return budget{}, fmt.Errorf("decode rate shard: %w", err)
			}
			shard, ok := rateShard(r.SK)
			if !ok || shard >= b.shards {
				// A shard of a larger budget configured before: its slots
				// are not this budget's.
				continue
			}
			b.exists[shard] = true
			b.used[shard] = make(map[int]int64, len(r.Slots))
			for k, ms := range r.Slots {
				j, err := strconv.Atoi(k)
				if err == nil && j >= 0 && j < n && j%b.shards == shard {
					b.used[shard][j] = ms
				}
			}
		}
		if out.LastEvaluatedKey == nil {
			return b, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// budgetQuery is the Query of a business's rate shards.
func budgetQuery(table string, businessID team.BusinessID, consistent bool) (*dynamodb.QueryInput, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(
		expression.Key(AttrPK).Equal(expression.Value(businessPK(businessID))).
			And(expression.Key(AttrSK).BeginsWith(ratePrefix))).Build()
	if err != nil {
		return nil, fmt.Errorf("build query: %w", err)
	}
	return &dynamodb.QueryInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(consistent),
		KeyConditionExpression: expr.KeyCondition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}, nil
}

// pick returns a slot free for a send at now, or ok=false when every slot
// was used within the window. It picks a random shard among those with a
// free slot, so that concurrent sends spread over the shards, and the
// lowest free slot of that shard, so that slot numbers stay dense: a
// shard's map then holds about as many entries as sends of the busiest
// hour, however large the budget, which keeps the items and their read
// small. (Concurrent sends on one shard conflict on the item anyway, so
// a random slot within the shard would not make them collide less.)
func (b budget) pick(now time.Time) (slot int, ok bool) {
	cutoff := now.Add(-team.EmailWindow).UnixMilli()
	var candidates []int
	for shard := range b.shards {
		for j := shard; j < b.n; j += b.shards {
			if ms, used := b.used[shard][j]; !used || ms <= cutoff {
				candidates = append(candidates, j)
				break
			}
		}
	}
	if len(candidates) == 0 {
		return 0, false
	}
	return candidates[rand.N(len(candidates))], true
}

// retryAt is when the oldest send leaves the window, freeing its slot.
func (b budget) retryAt() time.Time {
	oldest := int64(math.MaxInt64)
	for _, slots := range b.used {
		for _, ms := range slots {
			oldest = min(oldest, ms)
		}
	}
	return time.UnixMilli(oldest).UTC().Add(team.EmailWindow)
}

// useSlot is the transaction item that uses slot j for a send at now: an
// Update of its shard conditioned on the slot being free at now (or, when
// the shard was missing at the read, on the shard still having no slots).
func (s *Store) useSlot(businessID team.BusinessID, b budget, j int, now time.Time) (types.TransactWriteItem, error) {
	return slotUpdate(s.table, businessID, b.shards, j, b.exists[j%b.shards], now)
}

func slotUpdate(table string, businessID team.BusinessID, shards, j int, shardExists bool, now time.Time) (types.TransactWriteItem, error) {
	shard := j % shards
	slot := expression.Name(attrSlots + "." + strconv.Itoa(j))
	var update expression.UpdateBuilder
	var cond expression.ConditionBuilder
	if shardExists {
		update = expression.Set(slot, expression.Value(now.UnixMilli()))
		cond = expression.AttributeNotExists(slot).
			Or(slot.LessThanEqual(expression.Value(now.Add(-team.EmailWindow).UnixMilli())))
	} else {
		update = expression.Set(expression.Name(attrSlots), expression.Value(map[string]int64{strconv.Itoa(j): now.UnixMilli()})).
			Set(expression.Name(attrEntity), expression.Value(EntityRate))
		cond = expression.AttributeNotExists(expression.Name(attrSlots))
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: aws.String(table), Key: key(businessPK(businessID), rateSK(shard)),
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// applyWithSlot commits a mutation that sends an email together with the
// use of a free slot of its budget: it reads the shards, picks a free slot
// at random (so that concurrent sends rarely pick the same one), and picks
// again from a fresh read when a concurrent send took it first. With no
// free slot it writes nothing and returns *team.EmailBudgetError.
func (s *Store) applyWithSlot(ctx context.Context, m team.Mutation, tx *transaction) error {
	now := m.Activity.At
	b, err := s.readBudget(ctx, m.BusinessID, m.EmailBudget, false)
	if err != nil {
		return fmt.Errorf("dynamo: apply %s: read email budget: %w", m.Activity.Type, err)
	}
	for attempt := 1; ; attempt++ {
		j, ok := b.pick(now)
		if !ok {
			return fmt.Errorf("dynamo: apply %s: %w", m.Activity.Type, &team.EmailBudgetError{RetryAt: b.retryAt()})
		}
		item, err := s.useSlot(m.BusinessID, b, j, now)
		if err != nil {
			return fmt.Errorf("dynamo: apply: %w", err)
		}
		err = s.commit(ctx, m, tx.with(roleRateSlot, item), strconv.Itoa(attempt)+"-")
		if !errors.Is(err, errSlotTaken) {
			return err
		}
		if attempt == slotAttempts {
			// Sends are racing for the last free slots; the client may
			// retry in a moment, when the race is decided.
			return fmt.Errorf("dynamo: apply %s: %w: %w", m.Activity.Type, team.ErrRateLimited, err)
		}
		if b, err = s.readBudget(ctx, m.BusinessID, m.EmailBudget, true); err != nil {
			return fmt.Errorf("dynamo: apply %s: read email budget: %w", m.Activity.Type, err)
		}
	}
}
