package delivery

import "github.com/businessapp/usermanagement/internal/team"

// EmailKind names an email delivery sends about an activity, and to whom.
// The names say both, so that kinds such as a notice to a user's old
// address fit beside the welcome email.
type EmailKind string

// The emails of SPEC §5.
const (
	// EmailWelcomeToTarget is the welcome email to the user the activity
	// is about, at their address after the change.
	EmailWelcomeToTarget EmailKind = "welcome-to-target"
	// EmailWelcomeToNewAddress is the welcome email to the user at the
	// address a change of their email moved them to (they are invited
	// again there, SPEC §2.5). An activity that kept the email sends none.
	EmailWelcomeToNewAddress EmailKind = "welcome-to-new-address"
	// EmailNoticeToOldAddress is the notice to the address a change of
	// the user's email moved them from: it names the new address and who
	// changed it (SPEC §5). An activity that kept the email sends none.
	EmailNoticeToOldAddress EmailKind = "notice-to-old-address"
)

// EmailKinds returns every kind of email delivery sends.
func EmailKinds() []EmailKind {
	return []EmailKind{EmailWelcomeToTarget, EmailWelcomeToNewAddress, EmailNoticeToOldAddress}
}

// IsWelcome reports whether the kind is a welcome email (an invitation),
// as opposed to a notice. An activity sends at most one welcome email.
func (k EmailKind) IsWelcome() bool {
	return k == EmailWelcomeToTarget || k == EmailWelcomeToNewAddress
}

// recipient returns the address the kind of email goes to for the
// activity, and false when the activity sends no email of the kind.
func (k EmailKind) recipient(a team.Activity) (string, bool) {
	emailChanged := a.Changes.Email != nil && a.Changes.Email.From != a.Changes.Email.To
	switch {
	case k == EmailWelcomeToTarget:
		return a.Target.Email, true
	case k == EmailWelcomeToNewAddress && emailChanged:
		return a.Target.Email, true
	case k == EmailNoticeToOldAddress && emailChanged:
		return a.Changes.Email.From, true
	}
	return "", false
}

// Downstream is what one activity type sets off outside the service.
type Downstream struct {
	// DetailType is the detail-type of the activity's event on EventBridge.
	DetailType DetailType
	// Schema is the file under docs/events holding the JSON Schema of the
	// event's detail: the contract with subscribers.
	Schema string
	// Emails are the emails the activity may send; each kind says whether
	// a given activity sends it (a contact change that kept the email
	// sends none). An empty list sends none; nil means the row was never
	// decided, which the tests refuse. The ledger records each kind apart,
	// so a retry sends neither twice and a failed one is retried alone.
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
	// A manager's change of someone's email invites them again at the
	// new address and tells the old one (SPEC §2.5, §5).
	team.ActivityContactChanged: {
		DetailType: DetailUserContactInfoChanged, Schema: "UserContactInfoChanged.schema.json",
		Emails: []EmailKind{EmailWelcomeToNewAddress, EmailNoticeToOldAddress},
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
