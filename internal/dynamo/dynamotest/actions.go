package dynamotest

import (
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Actions records the IAM actions a client's requests need, by the name of
// whatever sent them, so that a test can hold a function's role to what its
// code calls. IAM authorises a TransactWriteItems by the actions of its
// items (it has no dynamodb:TransactWriteItems action) and every other
// request by its operation's name. It also records the secondary indexes
// the requests query, which IAM authorises by the index's ARN rather than
// the table's. Install it with Client(t, a.Install).
type Actions struct {
	mu      sync.Mutex
	current string
	byName  map[string]map[string]bool
	indexes map[string]map[string]bool
}

// Install adds the recording middleware to a client's options.
func (a *Actions) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordActions",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				a.record(iamActions(middleware.GetOperationName(ctx), in.Parameters), indexQueried(in.Parameters))
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// Attribute says whose the requests from now on are; "" (the start) records
// nothing, for a test's own setup.
func (a *Actions) Attribute(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.current = name
}

// Of returns the actions recorded for name, sorted.
func (a *Actions) Of(name string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return sortedKeys(a.byName[name])
}

// IndexesOf returns the secondary indexes that name's requests queried,
// sorted.
func (a *Actions) IndexesOf(name string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return sortedKeys(a.indexes[name])
}

func sortedKeys(set map[string]bool) []string {
	var out []string
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// record notes actions, and index when it is not "", for the current name.
func (a *Actions) record(actions []string, index string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == "" {
		return
	}
	add := func(m *map[string]map[string]bool, v string) {
		if *m == nil {
			*m = map[string]map[string]bool{}
		}
		if (*m)[a.current] == nil {
			(*m)[a.current] = map[string]bool{}
		}
		(*m)[a.current][v] = true
	}
	for _, action := range actions {
		add(&a.byName, action)
	}
	if index != "" {
		add(&a.indexes, index)
	}
}

// indexQueried is the secondary index a request queries, or "".
func indexQueried(params any) string {
	if q, ok := params.(*dynamodb.QueryInput); ok && q.IndexName != nil {
		return *q.IndexName
	}
	return ""
}

func iamActions(operation string, params any) []string {
	t, ok := params.(*dynamodb.TransactWriteItemsInput)
	if !ok {
		return []string{"dynamodb:" + operation}
	}
	var out []string
	for _, item := range t.TransactItems {
		switch {
		case item.ConditionCheck != nil:
			out = append(out, "dynamodb:ConditionCheckItem")
		case item.Put != nil:
			out = append(out, "dynamodb:PutItem")
		case item.Delete != nil:
			out = append(out, "dynamodb:DeleteItem")
		case item.Update != nil:
			out = append(out, "dynamodb:UpdateItem")
		}
	}
	return out
}
