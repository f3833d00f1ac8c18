package dynamo

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// scriptedClient answers TransactWriteItems from a script, one error per
// call (nil for success), and records the idempotency tokens it was sent.
// DynamoDB Local serialises transactions, so it never produces the
// TransactionConflict cancellations AWS does under contention; this is how
// the retry path is exercised.
type scriptedClient struct {
	Client
	script []error
	tokens []string
	// queries records the ConsistentRead of each Query (of the rate
	// shards), which finds no shard items.
	queries []bool
}

func (c *scriptedClient) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries = append(c.queries, aws.ToBool(in.ConsistentRead))
	return &dynamodb.QueryOutput{}, nil
}

func (c *scriptedClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.tokens = append(c.tokens, aws.ToString(in.ClientRequestToken))
	if len(c.script) == 0 {
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}
	err := c.script[0]
	c.script = c.script[1:]
	return &dynamodb.TransactWriteItemsOutput{}, err
}

func canceled(codes ...string) error {
	reasons := make([]types.CancellationReason, len(codes))
	for i, c := range codes {
		reasons[i] = types.CancellationReason{Code: aws.String(c)}
	}
	return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
}

// invite is a mutation whose transaction has three items: the actor check,
// the new user, the activity record.
func invite() team.Mutation {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	u := team.User{BusinessID: "acme", Email: "ann@acme.test", CreatedAt: now, UpdatedAt: now, Version: 1}
	return team.Mutation{BusinessID: "acme", Actor: "owner@acme.test", After: &u,
		Activity: team.Activity{ID: "01JDAAAAAAAAAAAAAAAAAAAAAA", BusinessID: "acme", Type: team.ActivityUserAdded, At: now}}
}

func TestApplyRetriesConflictsAndNothingElse(t *testing.T) {
	tests := []struct {
		name      string
		script    []error
		wantErr   error // nil for success
		wantCalls int
	}{
		{"success first time", nil, nil, 1},
		{"conflicts then success", []error{
			canceled(reasonNone, reasonTransactionConflict, reasonNone),
			canceled(reasonTransactionConflict, reasonNone, reasonNone),
		}, nil, 3},
		{"throttled then success", []error{canceled(reasonThrottling, reasonNone, reasonNone)}, nil, 2},
		{"conflicts forever give up", []error{
			canceled(reasonTransactionConflict), canceled(reasonTransactionConflict), canceled(reasonTransactionConflict),
			canceled(reasonTransactionConflict), canceled(reasonTransactionConflict), canceled(reasonTransactionConflict),
			canceled(reasonTransactionConflict), canceled(reasonTransactionConflict), canceled(reasonTransactionConflict),
		}, errConflict, conflictAttempts},
		{"throttled forever is rate limited", []error{
			canceled(reasonThrottling), canceled(reasonThrottling), canceled(reasonThrottling), canceled(reasonThrottling),
			canceled(reasonThrottling), canceled(reasonThrottling), canceled(reasonThrottling), canceled(reasonThrottling),
		}, team.ErrRateLimited, conflictAttempts},
		{"a failed condition is an answer, not retried", []error{
			canceled(reasonConditionalFailed, reasonTransactionConflict, reasonNone),
		}, team.ErrActorNotAllowed, 1},
		{"the new email is taken", []error{canceled(reasonNone, reasonConditionalFailed, reasonNone)}, team.ErrUserExists, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &scriptedClient{script: tt.script}
			err := NewStore(client, "table").Apply(context.Background(), invite())
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Apply = %v, want success", err)
			case tt.wantErr == errConflict && (err == nil || team.ErrorCode(err) != team.CodeInternal):
				t.Fatalf("Apply = %v, want an internal error after giving up", err)
			case tt.wantErr != nil && tt.wantErr != errConflict && !errors.Is(err, tt.wantErr):
				t.Fatalf("Apply = %v, want %v", err, tt.wantErr)
			}
			if len(client.tokens) != tt.wantCalls {
				t.Errorf("TransactWriteItems calls = %d, want %d", len(client.tokens), tt.wantCalls)
			}
			seen := map[string]bool{}
			for _, tok := range client.tokens {
				if tok == "" || len(tok) > 36 || seen[tok] {
					t.Errorf("idempotency tokens %q: each attempt needs its own token of at most 36 characters", client.tokens)
				}
				seen[tok] = true
			}
		})
	}
}

var errConflict = errors.New("gave up on conflicts")

// TestApplyPicksAnotherSlotWhenOneIsTaken: a send whose email-budget slot
// was taken by a concurrent send (the slot's condition failed) reads the
// shards again, consistently this time, and commits with another pick,
// under a new idempotency token; when it keeps losing it gives up with
// rate limited (retry shortly) rather than an internal error.
func TestApplyPicksAnotherSlotWhenOneIsTaken(t *testing.T) {
	// actor check, new user, user-count shard, slot, activity
	slotTaken := func() error {
		return canceled(reasonNone, reasonNone, reasonNone, reasonConditionalFailed, reasonNone)
	}
	m := invite()
	m.EmailBudget = 10

	client := &scriptedClient{script: []error{slotTaken(), canceled(reasonNone, reasonTransactionConflict, reasonNone, reasonNone, reasonNone)}}
	if err := NewStore(client, "table").Apply(context.Background(), m); err != nil {
		t.Fatalf("Apply = %v, want success with another slot", err)
	}
	if want := []bool{false, true}; !slices.Equal(client.queries, want) {
		t.Errorf("shard reads (consistent?) = %v, want %v", client.queries, want)
	}
	if len(client.tokens) != 3 || len(slices.Compact(slices.Sorted(slices.Values(client.tokens)))) != 3 {
		t.Errorf("idempotency tokens = %q, want three different ones", client.tokens)
	}

	var script []error
	for range slotAttempts {
		script = append(script, slotTaken())
	}
	client = &scriptedClient{script: script}
	err := NewStore(client, "table").Apply(context.Background(), m)
	if !errors.Is(err, team.ErrRateLimited) {
		t.Fatalf("Apply after losing %d slots = %v, want ErrRateLimited", slotAttempts, err)
	}
	if len(client.tokens) != slotAttempts {
		t.Errorf("TransactWriteItems calls = %d, want %d", len(client.tokens), slotAttempts)
	}
}

// TestBudgetPick checks the slot choice: the lowest free slot of a shard,
// a used slot free again once it is older than the window, and the
// retry time of a spent budget.
func TestBudgetPick(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	recent, old := now.Add(-time.Minute).UnixMilli(), now.Add(-team.EmailWindow).UnixMilli()
	b := budget{n: 3, shards: 3, exists: []bool{true, true, true},
		used: []map[int]int64{{0: recent}, {1: recent + 1}, {2: old}}}
	for range 20 {
		if j, ok := b.pick(now); !ok || j != 2 {
			t.Fatalf("pick = %d, %v; want slot 2, used exactly an hour ago", j, ok)
		}
	}
	b.used[2][2] = recent + 2
	if j, ok := b.pick(now); ok {
		t.Fatalf("pick = %d with every slot used within the hour", j)
	}
	if got, want := b.retryAt(), time.UnixMilli(recent).UTC().Add(team.EmailWindow); !got.Equal(want) {
		t.Errorf("retryAt = %s, want %s", got, want)
	}
	// Twenty slots in two shards, the first three of each used: the pick
	// is the lowest free slot of one of the shards.
	b = budget{n: 20, shards: 2, exists: []bool{true, true},
		used: []map[int]int64{{0: recent, 2: recent, 4: recent}, {1: recent, 3: recent, 5: recent}}}
	seen := map[int]bool{}
	for range 200 {
		j, ok := b.pick(now)
		if !ok {
			t.Fatal("no pick with free slots")
		}
		seen[j] = true
	}
	if !seen[6] || !seen[7] || len(seen) != 2 {
		t.Errorf("picked slots %v, want 6 and 7 (the lowest free of each shard)", seen)
	}
}

func TestTransactionMapsEachRoleToItsError(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	before := team.User{BusinessID: "acme", Email: "ann@acme.test", Version: 3, CreatedAt: now, UpdatedAt: now}
	after := before
	after.Email, after.Version = "anne@acme.test", 4
	m := team.Mutation{BusinessID: "acme", Actor: "owner@acme.test", Before: &before, After: &after,
		RequireTabs: team.Permissions{team.TabCRM},
		Activity:    team.Activity{ID: "01JDBBBBBBBBBBBBBBBBBBBBBB", BusinessID: "acme", Type: team.ActivityContactChanged, At: now}}
	store := NewStore(&scriptedClient{}, "table")
	tx, err := store.transaction(m)
	if err != nil {
		t.Fatal(err)
	}
	// actor, profile, delete old, put new, activity
	wantRoles := []role{roleActor, roleProfile, roleBefore, roleNewEmail, roleActivity}
	if len(tx.roles) != len(wantRoles) {
		t.Fatalf("roles = %v, want %v", tx.roles, wantRoles)
	}
	oldItem := map[string]types.AttributeValue{"version": &types.AttributeValueMemberN{Value: "4"}}
	tests := []struct {
		name    string
		reasons []types.CancellationReason
		want    error
	}{
		{"actor", []types.CancellationReason{{Code: aws.String(reasonConditionalFailed)}}, team.ErrActorNotAllowed},
		{"tabs", []types.CancellationReason{{Code: aws.String(reasonNone)}, {Code: aws.String(reasonConditionalFailed)}}, team.ErrTabsNotEnabled},
		{"removed meanwhile", []types.CancellationReason{{}, {}, {Code: aws.String(reasonConditionalFailed)}}, team.ErrNotFound},
		{"changed meanwhile", []types.CancellationReason{{}, {}, {Code: aws.String(reasonConditionalFailed), Item: oldItem}}, team.ErrStale},
		{"email taken", []types.CancellationReason{{}, {}, {}, {Code: aws.String(reasonConditionalFailed)}}, team.ErrUserExists},
		{"actor wins over the rest", []types.CancellationReason{
			{Code: aws.String(reasonConditionalFailed)}, {Code: aws.String(reasonConditionalFailed)},
			{Code: aws.String(reasonConditionalFailed)}, {Code: aws.String(reasonConditionalFailed)}}, team.ErrActorNotAllowed},
	}
	t.Run("email budget slot taken", func(t *testing.T) {
		withSlot := tx.with(roleRateSlot, types.TransactWriteItem{})
		if want := []role{roleActor, roleProfile, roleBefore, roleNewEmail, roleRateSlot, roleActivity}; !slices.Equal(withSlot.roles, want) {
			t.Fatalf("roles with a slot = %v, want %v", withSlot.roles, want)
		}
		got, retry := withSlot.explain(&types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{
			{}, {}, {}, {}, {Code: aws.String(reasonConditionalFailed)}, {}}})
		if !errors.Is(got, errSlotTaken) || retry {
			t.Errorf("explain = %v (retry %v), want errSlotTaken without a retry of the same transaction", got, retry)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, retry := tx.explain(&types.TransactionCanceledException{CancellationReasons: tt.reasons})
			if !errors.Is(got, tt.want) || retry {
				t.Errorf("explain = %v (retry %v), want %v without retry", got, retry, tt.want)
			}
		})
	}
}
