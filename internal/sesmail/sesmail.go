// Package sesmail sends the welcome email through Amazon SES v2. It is the
// delivery.Mailer the stream consumer uses, and it decides which SES
// failures are permanent (the message itself is at fault) and which are
// worth retrying.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/businessapp/usermanagement/internal/delivery"
)

// Client is the part of the SES v2 client the Mailer uses, so that tests can
// stand in for SES with a hand-written fake.
type Client interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ Client = (*sesv2.Client)(nil)

var _ delivery.Mailer = (*Mailer)(nil)

// Mailer sends welcome emails through SES v2.
type Mailer struct {
	client           Client
	from             string
	configurationSet string
}

// Option configures a Mailer.
type Option func(*Mailer)

// ConfigurationSet makes the Mailer send every email with the named SES
// configuration set (its event destinations see deliveries, bounces and
// complaints); "" sends without one, which is the default. SES then
// authorises each send on the set as well as on the identity, which the
// template's role allows when its SesConfigurationSet parameter is set.
func ConfigurationSet(name string) Option {
	return func(m *Mailer) { m.configurationSet = name }
}

// New returns a Mailer that sends with client from the sender identity from,
// for example "Business App <no-reply@example.com>". The identity must be
// verified in SES; that is the deployment's job, not the Mailer's.
func New(client Client, from string, opts ...Option) *Mailer {
	m := &Mailer{client: client, from: from}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Send sends email to its one recipient as a simple message with a text and
// an HTML part, and returns the SES message id. An error wrapping
// delivery.ErrPermanent means SES refused this message and sending it again
// would fail again; any other error is worth retrying.
func (m *Mailer) Send(ctx context.Context, email delivery.WelcomeEmail) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.from),
		Destination:      &types.Destination{ToAddresses: []string{email.To}},
		Content: &types.EmailContent{
			Simple: &types.Message{
				Subject: content(email.Subject),
				Body: &types.Body{
					Text: content(email.Text),
					Html: content(email.HTML),
				},
			},
		},
	}
	if m.configurationSet != "" {
		in.ConfigurationSetName = aws.String(m.configurationSet)
	}
	out, err := m.client.SendEmail(ctx, in)
	if err != nil {
		if permanent(err) {
			return "", fmt.Errorf("sesmail: %w: %w", delivery.ErrPermanent, err)
		}
		return "", fmt.Errorf("sesmail: send: %w", err)
	}
	id := aws.ToString(out.MessageId)
	if id == "" {
		// Without an id the ledger cannot record what went out; SES always
		// returns one, so this is a broken response and worth retrying.
		return "", errors.New("sesmail: send: SES returned no message id")
	}
	return id, nil
}

// content states the charset explicitly: names people typed are not ASCII, and
// SES would otherwise assume 7-bit ASCII.
func content(s string) *types.Content {
	return &types.Content{Data: aws.String(s), Charset: aws.String("UTF-8")}
}

// permanentCodes are SES answers about the message itself: its content or
// its addresses. Sending the same message again gets the same answer.
var permanentCodes = map[string]bool{
	"MessageRejected":     true,
	"BadRequestException": true,
}

// operatorCodes are SES answers about the account or its configuration, not
// about the message: the account is suspended or paused, the MAIL FROM domain
// or the sender identity is not verified, the credentials may not send. They
// are treated as retryable on purpose. Marking the email permanently failed
// would record every welcome email of the outage as failed and never send it
// (invariant I6); retrying instead lets the record exhaust its retries and
// land in the stream consumer's on-failure destination, where an operator
// sees it and can replay it once the account is fixed.
var operatorCodes = map[string]bool{
	"AccountSuspendedException":          true,
	"SendingPausedException":             true,
	"MailFromDomainNotVerifiedException": true,
	"NotFoundException":                  true,
	"AccessDeniedException":              true,
}

// retryableStatus are 4xx statuses that retrying can fix: timeouts,
// throttling, and authentication or authorization failures, which are
// operator problems for the reason given at operatorCodes.
var retryableStatus = map[int]bool{
	http.StatusUnauthorized:    true,
	http.StatusForbidden:       true,
	http.StatusNotFound:        true,
	http.StatusRequestTimeout:  true,
	http.StatusTooManyRequests: true,
}

// permanent reports whether err says the message itself is at fault. It
// answers true only on positive evidence: an error it cannot place is
// retried, because a wrongly retried message ends up in the on-failure
// destination, while a wrongly failed one is lost.
func permanent(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return false
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if permanentCodes[code] {
			return true
		}
		// SES v2 answers LimitExceededException with status 400, so the
		// throttling codes must be recognised before the status is.
		if operatorCodes[code] || isRetryableCode(code) {
			return false
		}
	}
	var statusErr interface{ HTTPStatusCode() int }
	if errors.As(err, &statusErr) {
		status := statusErr.HTTPStatusCode()
		return status >= 400 && status < 500 && !retryableStatus[status]
	}
	return false
}

// isRetryableCode reports whether the SDK itself treats code as throttling
// or as a transient failure; reusing its lists keeps the two in step.
func isRetryableCode(code string) bool {
	_, throttle := retry.DefaultThrottleErrorCodes[code]
	_, transient := retry.DefaultRetryableErrorCodes[code]
	return throttle || transient
}
