package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// BenchmarkSDKCall measures what one call costs the AWS SDK itself on a
// warm client (building, signing and serialising the request, reading the
// answer), against an in-process server that answers each call with a
// fixed body at once: no engine, so what differs between two SDK versions
// is the SDK. It is how a change of SDK version (docs/PERFORMANCE.md, cold
// start) is weighed against the requests it serves; its allocations are
// exact, its times as noisy as the machine.
func BenchmarkSDKCall(b *testing.B) {
	srv := cannedAWS(b)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("id", "secret", ""), BaseEndpoint: aws.String(srv.URL)}
	db, ses, eb := dynamodb.NewFromConfig(cfg), sesv2.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "BUSINESS#acme"}, "sk": &types.AttributeValueMemberS{Value: "USER#a@example.com"}}
	user := cannedUserItem(0)
	for _, c := range []struct {
		name string
		call func(context.Context) error
	}{
		{"GetItem", func(ctx context.Context) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: key, ConsistentRead: aws.Bool(true)})
			return err
		}},
		// A page of 50 users, as a list reads it.
		{"Query50", func(ctx context.Context) error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t"), KeyConditionExpression: aws.String("pk = :p"), Limit: aws.Int32(50),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "BUSINESS#acme"}}})
			return err
		}},
		// A write's shape: a condition check, the item, the activity record.
		{"TransactWriteItems3", func(ctx context.Context) error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token"), TransactItems: []types.TransactWriteItem{
				{ConditionCheck: &types.ConditionCheck{TableName: aws.String("t"), Key: key, ConditionExpression: aws.String("contains(#p, :u)"),
					ExpressionAttributeNames: map[string]string{"#p": "permissions"}, ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: "users"}}}},
				{Put: &types.Put{TableName: aws.String("t"), Item: user, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				{Put: &types.Put{TableName: aws.String("t"), Item: user}},
			}})
			return err
		}},
		{"SendEmail", func(ctx context.Context) error {
			_, err := ses.SendEmail(ctx, &sesv2.SendEmailInput{FromEmailAddress: aws.String("no-reply@example.com"), Destination: &sestypes.Destination{ToAddresses: []string{"a@example.com"}},
				Content: &sestypes.EmailContent{Simple: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("Welcome")},
					Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String(strings.Repeat("text ", 100))}, Html: &sestypes.Content{Data: aws.String(strings.Repeat("<p>html</p>", 50))}}}}})
			return err
		}},
		{"PutEvents", func(ctx context.Context) error {
			_, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{Source: aws.String("app"), DetailType: aws.String("UserInvited"),
				Detail: aws.String(`{"detail":"` + strings.Repeat("x", 300) + `"}`), EventBusName: aws.String("bus")}}})
			return err
		}},
	} {
		b.Run("call="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.call(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cannedAWS answers DynamoDB's GetItem, Query and TransactWriteItems, SES
// v2's SendEmail and EventBridge's PutEvents with fixed, valid bodies.
func cannedAWS(tb testing.TB) *httptest.Server {
	var page []string
	for i := range 50 {
		page = append(page, cannedUserJSON(i))
	}
	answers := map[string]struct{ contentType, body string }{
		"DynamoDB_20120810.GetItem":            {"application/x-amz-json-1.0", `{"Item":` + cannedUserJSON(0) + `}`},
		"DynamoDB_20120810.Query":              {"application/x-amz-json-1.0", `{"Count":50,"ScannedCount":50,"Items":[` + strings.Join(page, ",") + `],"LastEvaluatedKey":{"pk":{"S":"BUSINESS#acme"},"sk":{"S":"USER#x"}}}`},
		"DynamoDB_20120810.TransactWriteItems": {"application/x-amz-json-1.0", `{}`},
		"AWSEvents.PutEvents":                  {"application/x-amz-json-1.1", `{"FailedEntryCount":0,"Entries":[{"EventId":"e-1"}]}`},
		"/v2/email/outbound-emails":            {"application/json", `{"MessageId":"m-1"}`},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.Header.Get("X-Amz-Target")]
		if !ok {
			a, ok = answers[r.URL.Path]
		}
		if !ok {
			http.Error(w, "no canned answer", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		_, _ = w.Write([]byte(a.body))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// cannedUserJSON is a user item of about the size the store writes, in
// DynamoDB's JSON.
func cannedUserJSON(i int) string {
	return fmt.Sprintf(`{"pk":{"S":"BUSINESS#acme"},"sk":{"S":"USER#user%d@example.com"},"email":{"S":"user%d@example.com"},"name":{"S":"User %d"},`+
		`"phone":{"S":"+14155550100"},"permissions":{"SS":["users","billing","reports"]},"status":{"S":"active"},"version":{"N":"3"},`+
		`"createdAt":{"S":"2026-11-29T09:00:00Z"},"userId":{"S":"usr_01JDQ8G0Y5T2M3N4P5Q6R7S8T9"}}`, i, i, i)
}

// cannedUserItem is cannedUserJSON's item as the SDK's attribute values.
func cannedUserItem(i int) map[string]types.AttributeValue {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	return map[string]types.AttributeValue{
		"pk": s("BUSINESS#acme"), "sk": s(fmt.Sprintf("USER#user%d@example.com", i)), "email": s(fmt.Sprintf("user%d@example.com", i)),
		"name": s(fmt.Sprintf("User %d", i)), "phone": s("+14155550100"), "permissions": &types.AttributeValueMemberSS{Value: []string{"users", "billing", "reports"}},
		"status": s("active"), "version": &types.AttributeValueMemberN{Value: "3"}, "createdAt": s("2026-11-29T09:00:00Z"), "userId": s("usr_01JDQ8G0Y5T2M3N4P5Q6R7S8T9"),
	}
}
