package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
)

// recorder describes every request a client sends: the operation and what
// shapes its cost (consistency, page size, the actions of a transaction).
type recorder struct {
	mu       sync.Mutex
	requests []string
}

func (r *recorder) install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("DescribeRequests",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				r.mu.Lock()
				r.requests = append(r.requests, describe(in.Parameters))
				r.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// take returns the descriptions since the last take, sorted (concurrent
// requests arrive in any order).
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.requests
	r.requests = nil
	slices.Sort(out)
	return out
}

func describe(params any) string {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return fmt.Sprintf("GetItem consistent=%t key=%s", aws.ToBool(in.ConsistentRead), keyShape(in.Key))
	case *dynamodb.BatchGetItemInput:
		var reads []string
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				reads = append(reads, keyShape(k))
			}
			reads = append(reads, fmt.Sprintf("consistent=%t", aws.ToBool(ka.ConsistentRead)))
		}
		slices.Sort(reads)
		return "BatchGetItem " + strings.Join(reads, " ")
	case *dynamodb.QueryInput:
		return fmt.Sprintf("Query index=%q %q filter=%q consistent=%t forward=%t limit=%d key=%s", aws.ToString(in.IndexName),
			aws.ToString(in.KeyConditionExpression), aws.ToString(in.FilterExpression),
			aws.ToBool(in.ConsistentRead), aws.ToBool(in.ScanIndexForward), aws.ToInt32(in.Limit), prefixOf(in))
	case *dynamodb.TransactWriteItemsInput:
		var actions []string
		for _, item := range in.TransactItems {
			switch {
			case item.ConditionCheck != nil:
				c := item.ConditionCheck
				actions = append(actions, fmt.Sprintf("ConditionCheck(%q on %s)", aws.ToString(c.ConditionExpression), keyShape(c.Key)))
			case item.Put != nil:
				actions = append(actions, fmt.Sprintf("Put(%q, %d attributes)", aws.ToString(item.Put.ConditionExpression), len(item.Put.Item)))
			case item.Delete != nil:
				actions = append(actions, fmt.Sprintf("Delete(%q)", aws.ToString(item.Delete.ConditionExpression)))
			case item.Update != nil:
				actions = append(actions, "Update")
			}
		}
		return fmt.Sprintf("TransactWriteItems token=%t [%s]", in.ClientRequestToken != nil, strings.Join(actions, " "))
	default:
		return fmt.Sprintf("%T", params)
	}
}

// prefixOf is the sort-key prefix a query reads, whatever its placeholder.
func prefixOf(in *dynamodb.QueryInput) string {
	for _, v := range in.ExpressionAttributeValues {
		if s, ok := v.(*types.AttributeValueMemberS); ok && strings.HasSuffix(s.Value, "#") {
			return s.Value
		}
	}
	return "?"
}

// keyShape is a key's sort key without the email or id in it.
func keyShape(key map[string]types.AttributeValue) string {
	sk, _ := key[dynamo.AttrSK].(*types.AttributeValueMemberS)
	if sk == nil {
		return "?"
	}
	kind, _, _ := strings.Cut(sk.Value, "#")
	return kind
}

// TestFloorSendsWhatTheFullPathSends keeps the benchmarks honest: for every
// operation, the floor sends the same requests as the full path, with the
// same consistency, page size, transaction actions and item sizes.
func TestFloorSendsWhatTheFullPathSends(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			var rec recorder
			f := newFixture(t, e.connect(t, rec.install))
			f.createBusiness(t, opsBusiness, 2*pageSize)
			f.seedActivity(t, opsBusiness, opsActivity)
			for _, op := range operations(opsBusiness) {
				t.Run(op.name, func(t *testing.T) {
					// Two iterations: the edits alternate between two changes.
					const n = 2
					run := func(prep prepare) []string {
						step := prep(t, f, n)
						rec.take()
						for i := range n {
							if err := step(i); err != nil {
								t.Fatal(err)
							}
						}
						return rec.take()
					}
					full, floor := run(op.full), run(op.floor)
					if len(full) == 0 {
						t.Fatal("the full path sent no request")
					}
					if diff := cmp.Diff(full, floor); diff != "" {
						t.Errorf("requests (-full path +floor):\n%s", diff)
					}
				})
			}
		})
	}
}
