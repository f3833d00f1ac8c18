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
    onSubmit: async (form) => {
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
        const user = await api.invite(req);
        team.put(user, { highlight: true });
        toast(`Invitation sent to ${user.email}`);
        return true;
      } catch (err) {
        if (err.status === 401) return true;
        showErrors(form, err);
        return false;
      }
    },
  });
  return close;
}
