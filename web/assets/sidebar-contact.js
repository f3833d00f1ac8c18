// The "Edit contact info" sidebar: one team member's name, email and phone.

import { h, toast } from "./dom.js";
import { ApiError } from "./api.js";
import { displayName, userSummary } from "./format.js";
import { field, validEmail, showErrors } from "./forms.js";
import { openSidebar } from "./sidebar.js";

/**
 * openContactSidebar opens the sidebar for the member with this email and
 * returns its close(), or nothing if the table no longer holds them.
 * followOwnEmail(email) keeps the caller signed in after they change their
 * own address.
 */
export function openContactSidebar(email, { api, context, team, handleWriteError, followOwnEmail }) {
  let user = team.userOf(email);
  if (!user) return undefined;
  const isMe = user.email === context.me;
  const body = h("div", { class: "stack" },
    h("div", { class: "row-2" },
      field({ name: "firstName", label: "First name", value: user.firstName }),
      field({ name: "lastName", label: "Last name", value: user.lastName })),
    field({
      name: "email", label: "Email", type: "email", required: true, value: user.email,
      hint: isMe ? "This is the address you sign in with." : "Changing it changes the address they sign in with.",
    }),
    field({ name: "phone", label: "Phone", type: "tel", inputmode: "tel", value: user.phone, hint: "Include the country code, such as +1 415 555 0100." }));
  const { close } = openSidebar({
    title: "Edit contact info",
    description: `Update ${isMe ? "your" : `${displayName(user)}'s`} name, email and phone.`,
    submitLabel: "Save", busyLabel: "Saving…", body,
    headerExtra: userSummary(user, isMe),
    returnFocus: () => team.actionButton(user.email) || team.inviteButton(),
    onSubmit: async (form) => {
      const v = (n) => form.elements[n].value.trim();
      if (!validEmail(v("email"))) {
        showErrors(form, new ApiError(400, "invalid_request", "", { email: "Enter a valid email address, such as ann@example.com." }));
        return false;
      }
      // Send only what changed, so a concurrent edit of another field is
      // not overwritten (If-Match guards the rest).
      const patch = {};
      for (const n of ["firstName", "lastName", "phone"]) if (v(n) !== (user[n] || "")) patch[n] = v(n);
      if (v("email").toLowerCase() !== user.email) patch.email = v("email");
      if (Object.keys(patch).length === 0) return true;
      try {
        const updated = await api.updateContact(user, patch);
        team.put(updated, { replacing: user.email });
        const old = user.email;
        user = updated;
        if (isMe && updated.email !== old) await followOwnEmail(updated.email);
        toast(`Contact info updated for ${displayName(updated)}`);
        return true;
      } catch (err) {
        return handleWriteError(err, form, user, (fresh) => {
          user = fresh;
          for (const n of ["firstName", "lastName", "email", "phone"]) form.elements[n].value = fresh[n] || "";
        });
      }
    },
  });
  return close;
}
