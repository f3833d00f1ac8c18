package sesmail_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sivchari/kumo"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/sesmail"
)

const from = "Business App <no-reply@example.com>"

var welcome = delivery.WelcomeEmail{
	To:      "zoë@example.com",
	Subject: "Ann Lee invited you to Zoë's Bakery on the Business App",
	Text:    "Hi Zoë,\n\nAnn Lee invited you to Zoë's Bakery.\n",
	HTML:    "<p>Hi Zoë,</p><p>Ann Lee invited you to Zoë&#39;s Bakery.</p>",
}

// fakeSES records the request it gets and answers with out or err.
type fakeSES struct {
	got *sesv2.SendEmailInput
	out *sesv2.SendEmailOutput
	err error
}

func (f *fakeSES) SendEmail(_ context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.got = in
	return f.out, f.err
}

func TestSendRequest(t *testing.T) {
	fake := &fakeSES{out: &sesv2.SendEmailOutput{MessageId: aws.String("msg-1")}}
	id, err := sesmail.New(fake, from).Send(context.Background(), welcome)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if id != "msg-1" {
		t.Errorf("message id = %q, want %q", id, "msg-1")
	}
	utf8 := func(s string) *types.Content {
		return &types.Content{Data: aws.String(s), Charset: aws.String("UTF-8")}
	}
	want := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: []string{welcome.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: utf8(welcome.Subject),
			Body:    &types.Body{Text: utf8(welcome.Text), Html: utf8(welcome.HTML)},
		}},
	}
	ignore := cmpopts.IgnoreUnexported(sesv2.SendEmailInput{}, types.Destination{}, types.EmailContent{},
		types.Message{}, types.Body{}, types.Content{})
	if diff := cmp.Diff(want, fake.got, ignore); diff != "" {
		t.Errorf("SendEmail input (-want +got):\n%s", diff)
	}
}

// TestSendWithConfigurationSet checks that the deployment's configuration
// set (SES_CONFIGURATION_SET) is named on every send, and that no set is
// named without one: TestSendRequest's input has none.
func TestSendWithConfigurationSet(t *testing.T) {
	fake := &fakeSES{out: &sesv2.SendEmailOutput{MessageId: aws.String("msg-1")}}
	if _, err := sesmail.New(fake, from, sesmail.ConfigurationSet("usermanagement-events")).Send(context.Background(), welcome); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := aws.ToString(fake.got.ConfigurationSetName); got != "usermanagement-events" {
		t.Errorf("ConfigurationSetName = %q, want %q", got, "usermanagement-events")
	}
	if _, err := sesmail.New(fake, from, sesmail.ConfigurationSet("")).Send(context.Background(), welcome); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if fake.got.ConfigurationSetName != nil {
		t.Errorf("ConfigurationSetName = %q with an empty set, want none", *fake.got.ConfigurationSetName)
	}
}

func TestSendWithoutMessageIDIsRetryable(t *testing.T) {
	_, err := sesmail.New(&fakeSES{out: &sesv2.SendEmailOutput{}}, from).Send(context.Background(), welcome)
	if err == nil || errors.Is(err, delivery.ErrPermanent) {
		t.Fatalf("Send with no message id: err = %v, want a retryable error", err)
	}
}

// sdkError wraps apiErr the way the SDK returns a failed call: an operation
// error around a response error that carries the HTTP status.
func sdkError(status int, apiErr error) error {
	return &smithy.OperationError{
		ServiceID:     "SESv2",
		OperationName: "SendEmail",
		Err: &awshttp.ResponseError{
			RequestID: "req-1",
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err:      apiErr,
			},
		},
	}
}

func TestSendErrorClassification(t *testing.T) {
	generic := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }
	connRefused := &smithy.OperationError{
		ServiceID: "SESv2", OperationName: "SendEmail",
		Err: &smithyhttp.RequestSendError{Err: &url.Error{
			Op: "Post", URL: "https://email.us-east-1.amazonaws.com/v2/email/outbound-emails",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		}},
	}
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		// The message itself is at fault.
		{"message rejected", sdkError(400, &types.MessageRejected{Message: aws.String("Email address is not verified.")}), true},
		{"message rejected, unwrapped", &types.MessageRejected{}, true},
		{"bad request: malformed address", sdkError(400, &types.BadRequestException{Message: aws.String("Illegal address")}), true},
		{"unmodelled 400", sdkError(400, generic("InvalidParameterValue")), true},
		{"payload too large", sdkError(413, generic("RequestEntityTooLarge")), true},

		// Throttling and server trouble pass.
		{"too many requests", sdkError(429, &types.TooManyRequestsException{}), false},
		{"limit exceeded (status 400)", sdkError(400, &types.LimitExceededException{}), false},
		{"generic throttling (status 400)", sdkError(400, generic("Throttling")), false},
		{"generic throttling, no status", generic("ThrottlingException"), false},
		{"unmodelled 429", sdkError(429, generic("SlowDown")), false},
		{"request timeout", sdkError(408, generic("RequestTimeout")), false},
		{"internal service error", sdkError(500, &types.InternalServiceErrorException{}), false},
		{"500", sdkError(500, generic("InternalFailure")), false},
		{"503", sdkError(503, generic("ServiceUnavailable")), false},
		{"after the SDK's own retries", &retry.MaxAttemptsError{Attempt: 3, Err: sdkError(429, &types.TooManyRequestsException{})}, false},

		// Operator problems, retried so they reach the on-failure destination.
		{"account suspended", sdkError(400, &types.AccountSuspendedException{}), false},
		{"sending paused", sdkError(400, &types.SendingPausedException{}), false},
		{"mail-from domain not verified", sdkError(400, &types.MailFromDomainNotVerifiedException{}), false},
		{"identity not found", sdkError(404, &types.NotFoundException{}), false},
		{"access denied", sdkError(403, generic("AccessDeniedException")), false},
		{"bad credentials", sdkError(403, generic("UnrecognizedClientException")), false},

		// The call never got an answer.
		{"connection refused", connRefused, false},
		{"deadline exceeded", &smithy.OperationError{ServiceID: "SESv2", OperationName: "SendEmail", Err: context.DeadlineExceeded}, false},
		{"canceled", fmt.Errorf("wrapped: %w", context.Canceled), false},
		{"unknown error", errors.New("something odd"), false},
		{"unknown code, no status", generic("SomethingNew"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sesmail.New(&fakeSES{err: tt.err}, from).Send(context.Background(), welcome)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, delivery.ErrPermanent); got != tt.permanent {
				t.Errorf("errors.Is(%v, ErrPermanent) = %v, want %v", err, got, tt.permanent)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %v does not wrap the SDK error", err)
			}
		})
	}
}

// sentEmail is an entry of kumo's /kumo/ses/v2/sent-emails.
type sentEmail struct {
	MessageID        string `json:"MessageId"`
	FromEmailAddress string
	Destination      struct{ ToAddresses []string }
	Subject          string
	Body             string
	HTMLBody         string
	SentAt           time.Time
}

func TestSendThroughKumo(t *testing.T) {
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	client := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	// kumo keeps its state in package variables, shared by every server in
	// the process, so the recipient is made unique to find this email.
	email := welcome
	email.To = fmt.Sprintf("invitee-%d@example.com", time.Now().UnixNano())
	id, err := sesmail.New(client, from).Send(context.Background(), email)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}

	resp, err := http.Get(srv.URL + "/kumo/ses/v2/sent-emails")
	if err != nil {
		t.Fatalf("list sent emails: %v", err)
	}
	defer resp.Body.Close()
	var list struct{ SentEmails []sentEmail }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("decode sent emails: %v", err)
	}
	var got []sentEmail
	for _, e := range list.SentEmails {
		if len(e.Destination.ToAddresses) == 1 && e.Destination.ToAddresses[0] == email.To {
			got = append(got, e)
		}
	}
	want := []sentEmail{{
		MessageID:        id,
		FromEmailAddress: from,
		Destination:      struct{ ToAddresses []string }{[]string{email.To}},
		Subject:          email.Subject,
		Body:             email.Text,
		HTMLBody:         email.HTML,
	}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(sentEmail{}, "SentAt")); diff != "" {
		t.Errorf("sent emails to %s (-want +got):\n%s", email.To, diff)
	}
}
