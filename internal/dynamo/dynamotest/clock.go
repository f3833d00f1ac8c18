package dynamotest

import (
	"sync"
	"time"
)

// Clock is the system clock, moved on by Pass: the actions tests drive
// every route, and a resend is only allowed five minutes after the
// invitation's email, which they do not wait for.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Pass moves the clock on by d.
func (c *Clock) Pass(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Now implements team.Clock: the system's time, in UTC, plus what has
// passed.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().UTC().Add(c.offset)
}
