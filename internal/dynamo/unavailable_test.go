package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"

	"github.com/businessapp/usermanagement/internal/team"
)

// TestRequestErrorsOfADatabaseThatDoesNotAnswer: the request's deadline, a
// network timeout and the SDK's exhausted retry quota all mean the database
// did not answer in time (I11), which clients see as 503 unavailable.
func TestRequestErrorsOfADatabaseThatDoesNotAnswer(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want team.Code
	}{
		{"deadline", fmt.Errorf("operation error DynamoDB: GetItem: %w", context.DeadlineExceeded), team.CodeUnavailable},
		{"network timeout", &net.OpError{Op: "read", Err: timeoutError{}}, team.CodeUnavailable},
		{"retry quota", fmt.Errorf("failed to get rate limit token: %w", ratelimit.QuotaExceededError{Available: 0, Requested: 5}), team.CodeUnavailable},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, team.CodeInternal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := team.ErrorCode(requestError(tt.err)); got != tt.want {
				t.Errorf("code of %v = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
