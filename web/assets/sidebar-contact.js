// The "Edit contact info" sidebar: one team member's name, email and phone.

import { h, toast } from "./dom.js";
import { ApiError } from "./api.js";
import { displayName, userSummary } from "./format.js";
import { field, validEmail, showErrors } from "./forms.js";
import { openSidebar } from "./sidebar.js";

/**
 * emailLock says why the caller may not change this user's email, or null
 * when they may. SPEC §2.5 and I2: your own email is your sign-in identity
 * and cannot be changed by you (the API answers 422 self_lockout); I9: the
 * owner's email cannot be changed by anyone else (422 owner_protected). The
 * sidebar shows the address read-only with this reason rather than offer an
 * edit the API would refuse.
 */
function emailLock(user, isMe) {
  if (isMe) return "This is the address you sign in with, so you can't change it here.";
  if (user.isOwner) return "This is the owner's sign-in address. To protect the business, nobody else can change it.";
  return null;
}

/**
 * openContactSidebar opens the sidebar for the member with this email and
 * returns its close(), or nothing if the table no longer holds them.
 */
export function openContactSidebar(email, { api, context, team, handleWriteError }) {
  let user = team.userOf(email);
  if (!user) return undefined;
  const isMe = user.email === context.me;
  const locked = emailLock(user, isMe);
  const body = h("div", { class: "stack" },
    h("div", { class: "row-2" },
      field({ name: "firstName", label: "First name", value: user.firstName }),
      field({ name: "lastName", label: "Last name", value: user.lastName })),
    field({
      name: "email", label: "Email", type: "email", required: true, value: user.email, readOnly: !!locked,
      hint: locked || "Changing it changes the address they sign in with. We'll send an invitation to the new address.",
    }),
    field({ name: "phone", label: "Phone", type: "tel", inputmode: "tel", value: user.phone, hint: "Include the country code, such as +1 415 555 0100." }));
  const { close } = openSidebar({
    title: "Edit contact info",
    description: isMe ? "Update your name and phone."
      : locked ? `Update ${displayName(user)}'s name and phone.`
      : `Update ${displayName(user)}'s name, email and phone.`,
    submitLabel: "Save", busyLabel: "Saving…", body,
    headerExtra: userSummary(user, isMe),
    returnFocus: () => team.actionButton(user.email) || team.inviteButton(),
    draft: { kind: "contact", email: user.email }, me: context.me,
    afterCancel: async () => {
      try {
        const fresh = await api.getUser(user.email);
        if (fresh.version > user.version) {
          team.put(fresh);
          user = fresh;
          return { sent: true, message: `It was saved anyway: the cancel came too late, and ${displayName(fresh)}'s details are updated.` };
        }
        return { sent: false, message: "Cancelled: nothing was saved. Your changes are still in the form." };
      } catch (err) {
        if (err.status === 404) return { sent: false, message: `${displayName(user)} is no longer a member of this team.` };
        return { sent: false, message: `Cancelled. We couldn't check whether the change was saved (${err.message}).` };
      }
    },
    onSubmit: async (form, signal) => {
      const v = (n) => form.elements[n].value.trim();
      if (!locked && !validEmail(v("email"))) {
        showErrors(form, new ApiError(400, "invalid_request", "", { email: "Enter a valid email address, such as ann@example.com." }));
        return false;
      }
      // Send only what changed, so a concurrent edit of another field is
      // not overwritten (If-Match guards the rest). A locked email is
      // never sent.
      const patch = {};
      for (const n of ["firstName", "lastName", "phone"]) if (v(n) !== (user[n] || "")) patch[n] = v(n);
      if (!locked && v("email").toLowerCase() !== user.email) patch.email = v("email");
      if (Object.keys(patch).length === 0) return true;
      try {
        const updated = await api.updateContact(user, patch, { signal });
        team.put(updated, { replacing: user.email });
        user = updated;
        toast(`Contact info updated for ${displayName(updated)}`);
        return true;
      } catch (err) {
        return handleWriteError(err, form, user, (fresh) => {
          user = fresh;
          for (const n of ["firstName", "lastName", "email", "phone"]) form.elements[n].value = fresh[n] || "";
        }, (fresh) => {
          // Fields the person left alone take the server's value; those
          // they changed keep what they typed, to be saved on top.
          const rows = [];
          for (const [n, label] of [["firstName", "First name"], ["lastName", "Last name"], ["email", "Email"], ["phone", "Phone"]]) {
            const typed = form.elements[n].value.trim();
            const was = n === "email" ? user.email : user[n] || "";
            const now = n === "email" ? fresh.email : fresh[n] || "";
            const mine = n === "email" ? typed.toLowerCase() !== was : typed !== was;
            if (now === was) continue;
            rows.push({ label, theirs: n === "phone" ? fresh.phoneDisplay || now : now, yours: mine ? typed : null });
            if (!mine) form.elements[n].value = now;
          }
          user = fresh;
          return rows;
        });
      }
    },
  });
  return close;
}
