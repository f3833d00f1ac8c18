package local_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/team"
)

// BenchmarkDeliveryThroughput measures how many activity records a second
// the local stream consumer delivers from a backlog: b.N invites of four
// businesses are committed straight to the table before the stack starts,
// and the clock runs until kumo has every welcome email. It compares the
// mapping's settings before issue 13 (batches of 10, one at a time) with
// template.yaml's (batches of 100, ten lanes by business), on the same
// machine at the same time, so that a busy machine slows both alike:
//
//	go run ./cmd/withdynamodb go test -run '^$' -bench DeliveryThroughput -benchtime 1000x ./internal/local
func BenchmarkDeliveryThroughput(b *testing.B) {
	for _, s := range []struct {
		name         string
		batch, lanes int
	}{{"batch100-lanes10", 0, 0}, {"batch10-lanes1", 10, 1}} {
		b.Run(s.name, func(b *testing.B) {
			db := dynamotest.Client(b)
			table := dynamotest.NewTable(b, db)
			ctx := context.Background()
			if _, err := dynamo.EnsureTable(ctx, db, table); err != nil {
				b.Fatal(err)
			}
			store := dynamo.NewStore(db, table)
			now := time.Now().UTC()
			ids := team.ULIDSource{}
			run := now.UnixNano()
			for i := range 4 {
				biz := team.BusinessID(fmt.Sprintf("tp-%d-%d", run, i))
				owner := team.User{BusinessID: biz, ID: "usr_owner", Email: "owner@" + biz.String() + ".test", Permissions: team.Permissions{team.TabUsers}, CreatedAt: now, UpdatedAt: now, Version: 1}
				if err := store.CreateBusiness(ctx, team.Business{ID: biz, Name: "Throughput", Tabs: team.Permissions{team.TabUsers}, CreatedAt: now}, owner); err != nil {
					b.Fatal(err)
				}
			}
			for n := range b.N {
				biz := team.BusinessID(fmt.Sprintf("tp-%d-%d", run, n%4))
				at := time.Now().UTC()
				u := team.User{BusinessID: biz, ID: fmt.Sprint("usr_", n), Email: fmt.Sprintf("u%d-%d@tp.test", run, n), Permissions: team.Permissions{}, CreatedAt: at, UpdatedAt: at, Version: 1}
				a := team.Activity{ID: ids.NewID(at), BusinessID: biz, Type: team.ActivityUserAdded, Actor: "owner@" + biz.String() + ".test",
					Target: team.Person{ID: u.ID, Email: u.Email}, At: at}
				a.Changes.Permissions = &team.PermissionsChange{From: team.Permissions{}, To: team.Permissions{}}
				if err := store.Apply(ctx, team.Mutation{BusinessID: biz, Actor: a.Actor, After: &u, Activity: a}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			stack, err := local.Start(ctx, local.Config{
				Addr: "127.0.0.1:0", DynamoDBEndpoint: dynamodblocal.EndpointFromEnv(), TableName: table,
				InviteRate: lambdaenv.MaxInviteRate, StreamBatchSize: s.batch, StreamParallelizationFactor: s.lanes,
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Console: io.Discard,
			})
			if err != nil {
				b.Fatal(err)
			}
			defer stack.Stop()
			c := &client{t: b, base: stack.URL}
			start := time.Now()
			for deadline := start.Add(10 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
				var all []local.SentEmail
				c.do("GET", "/dev/emails", "", &all)
				sent := 0
				for _, e := range all {
					// kumo keeps every email of the process: count this run's.
					if strings.HasPrefix(e.To, fmt.Sprintf("u%d-", run)) {
						sent++
					}
				}
				if sent >= b.N {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d of %d emails after 10 minutes", sent, b.N)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
		})
	}
}
