package delivery

import "github.com/businessapp/usermanagement/internal/team"

// EmailKind names an email delivery sends about an activity, and to whom.
// The names say both, so that kinds such as a notice to a user's old
// address fit beside the welcome email.
type EmailKind string

// The emails of SPEC §5 that delivery sends today.
const (
	// EmailWelcomeToTarget is the welcome email to the user the activity
	// is about, at their address after the change.
	EmailWelcomeToTarget EmailKind = "welcome-to-target"
)

// Downstream is what one activity type sets off outside the service.
type Downstream struct {
	// DetailType is the detail-type of the activity's event on EventBridge.
	DetailType DetailType
	// Schema is the file under docs/events holding the JSON Schema of the
	// event's detail: the contract with subscribers.
	Schema string
	// Emails are the emails the activity sends. An empty list sends none;
	// nil means the row was never decided, which the tests refuse. The
	// ledger keeps one email mark per activity, so a row has at most one
	// email until the ledger records each kind apart.
	Emails []EmailKind
}

// noEmail is the Emails of a row that sends none, spelled so that the
// decision is visible in the table.
var noEmail = []EmailKind{}

// downstream is the one table of what each activity type sets off: its
// event, the event's schema and its emails. An activity type without a row
// fails every event of its kind in production ("unknown activity type"), so
// TestEveryActivityTypeHasADownstreamRow checks every type of
// team.ActivityTypes against it.
var downstream = map[team.ActivityType]Downstream{
	team.ActivityUserAdded: {
		DetailType: DetailUserAdded, Schema: "UserAdded.schema.json",
		Emails: []EmailKind{EmailWelcomeToTarget},
	},
	team.ActivityUserRemoved: {
		DetailType: DetailUserRemoved, Schema: "UserRemoved.schema.json",
		Emails: noEmail,
	},
	team.ActivityPermissionsChanged: {
		DetailType: DetailUserPermissionsChanged, Schema: "UserPermissionsChanged.schema.json",
		Emails: noEmail,
	},
	team.ActivityUserActivated: {
		DetailType: DetailUserActivated, Schema: "UserActivated.schema.json",
		Emails: noEmail,
	},
	team.ActivityInvitationResent: {
		DetailType: DetailUserInvitationResent, Schema: "UserInvitationResent.schema.json",
		Emails: []EmailKind{EmailWelcomeToTarget},
	},
	team.ActivityContactChanged: {
		DetailType: DetailUserContactInfoChanged, Schema: "UserContactInfoChanged.schema.json",
		Emails: noEmail,
	},
	team.ActivityOwnerTransferred: {
		DetailType: DetailOwnerTransferred, Schema: "OwnerTransferred.schema.json",
		Emails: noEmail,
	},
}

// DownstreamOf returns what an activity type sets off; ok is false for a
// type the table does not know.
func DownstreamOf(t team.ActivityType) (d Downstream, ok bool) {
	d, ok = downstream[t]
	return d, ok
}

// sendsEmail reports whether the activity type's row lists the email kind.
func sendsEmail(t team.ActivityType, kind EmailKind) bool {
	for _, k := range downstream[t].Emails {
		if k == kind {
			return true
		}
	}
	return false
}
