// The "Add team member" sidebar: who to invite and which tabs they get.

import { h, toast } from "./dom.js";
import { ApiError } from "./api.js";
import { field, validEmail, showErrors } from "./forms.js";
import { permissionsFieldset, checkedPermissions, confirmZeroTabs } from "./permission-checklist.js";
import { openSidebar } from "./sidebar.js";

/** openInviteSidebar opens the sidebar and returns its close(). */
export function openInviteSidebar({ api, context, team }) {
  const body = h("div", { class: "stack" },
    h("div", { class: "row-2" },
      field({ name: "firstName", label: "First name", autocomplete: "off" }),
      field({ name: "lastName", label: "Last name", autocomplete: "off" })),
    field({ name: "email", label: "Email", type: "email", required: true, hint: "They'll get a welcome email with a link to sign in." }),
    field({ name: "phone", label: "Phone", type: "tel", inputmode: "tel", hint: "Include the country code, such as +1 415 555 0100." }),
    permissionsFieldset(context.tabs, context.tabs.map((t) => t.id)));
  const { close } = openSidebar({
    title: "Add team member",
    description: "Invite someone to Business App and choose what they can see.",
    submitLabel: "Send", busyLabel: "Sending…", body,
    returnFocus: () => team.inviteButton(),
    draft: { kind: "invite" }, me: context.me,
    afterCancel: async () => {
      const email = body.querySelector("#f-email").value.trim().toLowerCase();
      return checkInvited(email, 0);
    },
    onSubmit: async (form, signal) => {
      const v = (n) => form.elements[n].value.trim();
      const email = v("email");
      if (!validEmail(email)) {
        showErrors(form, new ApiError(400, "invalid_request", "", { email: email ? "Enter a valid email address, such as ann@example.com." : "Enter the email address of the person to invite." }));
        return false;
      }
      if (!confirmZeroTabs(form)) return false;
      const req = { email, permissions: checkedPermissions(form) };
      for (const n of ["firstName", "lastName", "phone"]) if (v(n)) req[n] = v(n);
      try {
        const user = await api.invite(req, { signal });
        team.put(user, { highlight: true });
        toast(`Invitation sent to ${user.email}`);
        return true;
      } catch (err) {
        if (err.status === 401) return true;
        if (err.code === "aborted") return false;
        showErrors(form, err);
        return false;
      }
    },
  });
  /**
   * checkInvited says whether a cancelled invite reached the server, by
   * reading the address back. A request already on its way may land just
   * after the first look, so "not sent" is checked once more a few seconds
   * later (the API's deadline), and the sidebar corrected if it arrived.
   */
  async function checkInvited(email, attempt) {
    try {
      const user = await api.getUser(email);
      team.put(user, { highlight: true });
      return { sent: true, message: `It was sent anyway: the cancel came too late, and ${user.email} is invited and on the team. To take it back, remove them from the team.` };
    } catch (err) {
      if (err.status !== 404) return { sent: false, message: `Cancelled. We couldn't check whether the invitation went out (${err.message}); look for ${email} in the team before sending again.` };
    }
    if (attempt === 0) {
      setTimeout(async () => {
        const later = await checkInvited(email, 1);
        const note = document.querySelector("dialog.sheet .sheet-note");
        if (later.sent && note) note.textContent = later.message;
      }, 5000);
    }
    return { sent: false, message: `Not sent: ${email} was not invited. Your form is still here, to send again or close.` };
  }

  return close;
}
