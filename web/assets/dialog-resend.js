// "Resend invitation" (SPEC §2.3): a new welcome email and a new expiry for
// someone who has not signed in yet, after a confirmation; a rate limit
// says when it can be tried again.

import { h, toast } from "./dom.js";
import { displayName } from "./format.js";
import { openConfirm, retryText } from "./confirm.js";

/** openResendDialog asks to confirm and returns close(), or nothing if the table no longer holds them. */
export function openResendDialog(email, { api, team, context }) {
  let user = team.userOf(email);
  if (!user) return undefined;
  const name = displayName(user);
  return openConfirm({
    id: "confirm-resend", iconName: "refresh",
    title: `Resend the invitation to ${name}?`,
    text: [
      h("p", {}, "We'll send a new welcome email to ", h("strong", { text: user.email }),
        ` with a link to ${context.businessName || "the business"}, and the invitation gets a new expiry date.`),
    ],
    confirmLabel: "Resend invitation", busyLabel: "Sending…",
    returnFocus: () => team.actionButton(user.email),
    onConfirm: async (say) => {
      try {
        const updated = await api.resendInvitation(user);
        team.put(updated);
        toast(`Invitation resent to ${updated.email}`);
        return true;
      } catch (err) {
        if (err.status === 401) return true;
        if (err.status === 429) {
          // Two limits answer 429 (SPEC §4): one resend per person every
          // five minutes, and the business's hourly email budget.
          say(`It can't be sent again yet: invitation emails are limited, so that they don't pile up or look like spam. You can resend it ${retryText(err.retryAfter)}.`);
          return false;
        }
        if (err.status === 404) {
          team.drop(user.email);
          toast(`${name} is no longer a member of this team.`, { kind: "error" });
          return true;
        }
        if (err.status === 409 || err.status === 412) {
          try { user = await api.getUser(user.email); team.put(user); } catch { /* the message still says what happened */ }
          if (user.status === "active") { say(`${name} has already accepted the invitation, so there is nothing to resend.`); return false; }
          say("Someone else changed this user a moment ago. Confirm again to resend.");
          return false;
        }
        say(err.message);
        return false;
      }
    },
  });
}
