// Command provision puts a platform event on a deployed stack's EventBridge
// bus, as the Business App platform does (SPEC §7): by default a
// BusinessUpserted that creates or updates a business and names its owner,
// with -delete a BusinessDeleted. The stack's provisioning function applies
// it; a revision not newer than the one applied is ignored, so the command
// can be run again safely.
//
//	go run ./cmd/provision -business acme -name "Acme Inc." \
//	    -tabs home,crm,administration,users -owner ann@acme.example -revision 1
//
// The region, credentials and endpoint come from the environment as for any
// AWS SDK program (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_EVENTBRIDGE...).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/businessapp/usermanagement/internal/provision"
)

// Putter is the part of the EventBridge API the command uses.
type Putter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "provision:", err)
		os.Exit(1)
	}
	if err := run(ctx, os.Args[1:], eventbridge.NewFromConfig(cfg), os.Stdout, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "provision:", err)
		os.Exit(2)
	}
}

// run parses the flags, builds the event and puts it.
func run(ctx context.Context, args []string, client Putter, out io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	business := fs.String("business", "", "business id (required)")
	name := fs.String("name", "", "business name (upsert; empty: the id)")
	tabs := fs.String("tabs", "home,conversations,crm,store,automations,reports,administration,users", "enabled tabs, comma-separated (upsert; must include users)")
	owner := fs.String("owner", "", "owner's email (upsert, required)")
	first := fs.String("first", "", "owner's first name (upsert, optional)")
	last := fs.String("last", "", "owner's last name (upsert, optional)")
	revision := fs.Int64("revision", 0, "the platform's revision of the business; 0: the current Unix time in milliseconds, newer than any earlier run's")
	del := fs.Bool("delete", false, "put a BusinessDeleted instead: end every user's access and remove the business's data")
	bus := fs.String("bus", "default", "name of the event bus (the stack's EventBusName parameter)")
	source := fs.String("source", provision.DefaultSource, "event source (the stack's PlatformEventSource parameter)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *business == "" || (!*del && *owner == "") {
		return errors.New("-business is required, and -owner for an upsert")
	}
	if *revision == 0 {
		*revision = now().UnixMilli()
	}
	detailType := provision.DetailTypeUpserted
	detail := map[string]any{"businessId": *business, "revision": *revision}
	if *del {
		detailType = provision.DetailTypeDeleted
	} else {
		var enabled []string
		for _, t := range strings.Split(*tabs, ",") {
			if t = strings.TrimSpace(t); t != "" {
				enabled = append(enabled, t)
			}
		}
		o := map[string]any{"email": *owner}
		if *first != "" {
			o["firstName"] = *first
		}
		if *last != "" {
			o["lastName"] = *last
		}
		detail["name"], detail["enabledTabs"], detail["owner"] = *name, enabled, o
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	res, err := client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{{
		EventBusName: aws.String(*bus), Source: aws.String(*source), DetailType: aws.String(detailType), Detail: aws.String(string(raw)),
	}}})
	if err != nil {
		return fmt.Errorf("put %s: %w", detailType, err)
	}
	if res.FailedEntryCount > 0 || len(res.Entries) != 1 {
		code, msg := "", ""
		if len(res.Entries) == 1 {
			code, msg = aws.ToString(res.Entries[0].ErrorCode), aws.ToString(res.Entries[0].ErrorMessage)
		}
		return fmt.Errorf("EventBridge refused the %s event: %s %s", detailType, code, msg)
	}
	fmt.Fprintf(out, "put %s %s (event id %s) on bus %s; the provisioning function's log shows the outcome\n",
		detailType, raw, aws.ToString(res.Entries[0].EventId), *bus)
	return nil
}
