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
// request by its operation's name. Install it with Client(t, a.Install).
type Actions struct {
	mu      sync.Mutex
	current string
	byName  map[string]map[string]bool
}

// Install adds the recording middleware to a client's options.
func (a *Actions) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("RecordActions",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				a.record(iamActions(middleware.GetOperationName(ctx), in.Parameters))
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
	var out []string
	for action := range a.byName[name] {
		out = append(out, action)
	}
	slices.Sort(out)
	return out
}

func (a *Actions) record(actions []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == "" {
		return
	}
	if a.byName == nil {
		a.byName = map[string]map[string]bool{}
	}
	if a.byName[a.current] == nil {
		a.byName[a.current] = map[string]bool{}
	}
	for _, action := range actions {
		a.byName[a.current][action] = true
	}
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
