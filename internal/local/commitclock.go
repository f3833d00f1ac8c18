package local

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/businessapp/usermanagement/internal/dynamo"
)

// commitClock notes when each activity record committed: the moment the
// TransactWriteItems that put it returned without error, by the activity's
// id (an event's eventId). make load measures the delivery lag from it.
// The activity's own time (occurredAt) is stamped before the budget read
// and the transaction, so a lag measured from it also holds the API's
// commit, which on a busy DynamoDB Local is itself hundreds of ms.
type commitClock struct {
	mu sync.Mutex
	at map[string]time.Time
}

func newCommitClock() *commitClock { return &commitClock{at: map[string]time.Time{}} }

// Install adds the clock to a DynamoDB client's options, after the
// operation's own middleware, so what it sees returned is the answer.
func (c *commitClock) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("NoteCommits",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if tx, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok && err == nil {
					c.committed(dynamo.ActivityIDsPut(tx), time.Now().UTC())
				}
				return out, md, err
			}), middleware.After)
	})
}

func (c *commitClock) committed(ids []string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.at[id] = at
	}
}

// committedAt returns when the activity with the id committed, nil when
// the stack did not see it commit (written by another process).
func (c *commitClock) committedAt(id string) *time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.at[id]; ok && id != "" {
		return &at
	}
	return nil
}
