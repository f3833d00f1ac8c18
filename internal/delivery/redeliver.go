package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/businessapp/usermanagement/internal/team"
)

// BacklogQuery selects the activity records a redelivery looks at.
type BacklogQuery struct {
	// BusinessID limits the search to one business; "" searches every
	// business of the table.
	BusinessID team.BusinessID
	// Since and Until bound when the activities were committed: Since
	// inclusive, Until exclusive. A zero time leaves that end open.
	Since, Until time.Time
	// EmailTypes are the activity types that send their target a welcome
	// email: such an activity is undelivered while its email is not
	// recorded as done. A record that changes an email (changes.email) is
	// undelivered while its welcome to the new address or its notice to
	// the old one is not.
	// Every activity is undelivered while its event is not. Redeliver
	// sets it from the downstream table.
	EmailTypes []team.ActivityType
}

// Backlog finds the activity records whose delivery is not recorded as
// done, in the table itself rather than in the stream (which keeps records
// for 24 hours) or in the on-failure queue (which holds only pointers into
// the stream). The DynamoDB table implements it (internal/dynamo).
type Backlog interface {
	// Undelivered calls page with the undelivered records the query
	// selects: one business at a time, each business's records in the
	// order they were committed, a page holding records of one business
	// only. Records carry the activity id as their ID; a record that
	// cannot be decoded carries Err, as a stream record would. It stops
	// and returns page's error when page fails. Errors: the store's read
	// errors, wrapped.
	Undelivered(ctx context.Context, q BacklogQuery, page func([]Record) error) error
}

// Redelivery is what a redelivery found and did.
type Redelivery struct {
	// Businesses is how many businesses had undelivered records.
	Businesses int
	// Records is how many undelivered records were found.
	Records int
	// EmailsSent and EventsPut count what went out in this run.
	EmailsSent, EventsPut int
	// Refused counts records whose email or event was refused for good in
	// this run (or could not be decoded); they are recorded as failed on
	// the activity record and not tried again.
	Refused int
	// Failed are the records whose delivery failed for a reason worth
	// retrying; a later run tries them again.
	Failed []FailedRecord
	// Skipped counts records left for a later run because an earlier
	// record of their business failed: a business's records are delivered
	// in commit order, as the stream delivers them.
	Skipped int
}

// FailedRecord is a record whose delivery failed and why.
type FailedRecord struct {
	BusinessID team.BusinessID
	ActivityID string
	Err        error
}

// Done reports whether everything found was delivered or refused for good.
func (r Redelivery) Done() bool { return len(r.Failed) == 0 && r.Skipped == 0 }

// Redeliver delivers every email and event that the backlog finds
// undelivered, through the same code and the same ledger marks as the
// stream consumer: what was delivered already (by the stream, or by an
// earlier redelivery) is found done and not sent again, so running it
// twice sends nothing the second time. A business whose record fails for
// a retryable reason is left after that record, so that none of its later
// records overtakes it; the others go on. The error is the backlog's: a
// failed delivery is in the report, not an error.
func (c *Consumer) Redeliver(ctx context.Context, backlog Backlog, q BacklogQuery) (Redelivery, error) {
	q.EmailTypes = emailTypes()
	var report Redelivery
	seen := map[team.BusinessID]bool{}
	blocked := map[team.BusinessID]bool{}
	err := backlog.Undelivered(ctx, q, func(records []Record) error {
		if len(records) == 0 {
			return nil
		}
		biz := businessOf(records[0])
		if !seen[biz] {
			seen[biz] = true
			report.Businesses++
		}
		report.Records += len(records)
		if blocked[biz] {
			report.Skipped += len(records)
			return nil
		}
		items := c.deliver(ctx, records)
		// Undecodable records were recorded as refused by deliver.
		report.Refused += len(records) - len(items)
		for _, it := range items {
			if it.emailSent {
				report.EmailsSent++
			}
			if it.eventPut {
				report.EventsPut++
			}
			if it.refused() {
				report.Refused++
			}
			if it.failed != nil && !blocked[biz] {
				blocked[biz] = true
				report.Failed = append(report.Failed, FailedRecord{BusinessID: biz, ActivityID: it.activity.ID, Err: it.failed})
				// The page's later records went out with this one, as a
				// stream batch's do; only later pages wait.
				c.d.Log.WarnContext(ctx, "redelivery failed; the business's later records are left for the next run",
					slog.String("businessId", biz.String()), slog.String("activityId", it.activity.ID), slog.Any("error", it.failed))
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return report, fmt.Errorf("delivery: redeliver: %w", err)
	}
	c.d.Log.InfoContext(ctx, "redelivery finished", slog.Int("businesses", report.Businesses), slog.Int("records", report.Records),
		slog.Int("emailsSent", report.EmailsSent), slog.Int("eventsPut", report.EventsPut), slog.Int("refused", report.Refused),
		slog.Int("failed", len(report.Failed)), slog.Int("skipped", report.Skipped))
	return report, nil
}

// businessOf is the business of a record, decodable or not.
func businessOf(r Record) team.BusinessID { return r.Activity.BusinessID }

// emailTypes are the activity types whose downstream row sends an email,
// in a stable order.
func emailTypes() []team.ActivityType {
	var out []team.ActivityType
	for _, t := range slices.Sorted(maps.Keys(downstream)) {
		// The welcome to the activity's target is due on every record of
		// its types; the two emails of a change of email are due only on
		// records that change the email, which the backlog finds by
		// their changes.email (BacklogQuery.EmailTypes).
		if slices.Contains(downstream[t].Emails, EmailWelcomeToTarget) {
			out = append(out, t)
		}
	}
	return out
}
