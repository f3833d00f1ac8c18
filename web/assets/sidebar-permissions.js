// The "Edit permissions" sidebar: which tabs one team member can see.

import { toast } from "./dom.js";
import { displayName, userSummary } from "./format.js";
import { LOCKOUT_TABS, permissionsFieldset, checkedPermissions, confirmZeroTabs } from "./permission-checklist.js";
import { openSidebar } from "./sidebar.js";

/**
 * openPermissionsSidebar opens the sidebar for the member with this email
 * and returns its close(), or nothing if the table no longer holds them.
 */
export function openPermissionsSidebar(email, { api, context, team, handleWriteError }) {
  let user = team.userOf(email);
  if (!user) return undefined;
  const isMe = user.email === context.me;
  const locked = isMe ? LOCKOUT_TABS.filter((t) => user.permissions.includes(t)) : [];
  const fieldset = permissionsFieldset(context.tabs, user.permissions, {
    locked,
    lockNote: locked.length ? "You can't remove your own access to Users or Administration. This prevents accidental self-lockout." : null,
  });
  const { close } = openSidebar({
    title: "Edit permissions",
    description: isMe ? "Choose which tabs you can see." : `Choose which tabs ${displayName(user)} can see. Changes apply on their next request.`,
    submitLabel: "Save", busyLabel: "Saving…",
    headerExtra: userSummary(user, isMe),
    body: fieldset,
    returnFocus: () => team.actionButton(user.email),
    onSubmit: async (form) => {
      if (!confirmZeroTabs(form)) return false;
      try {
        const updated = await api.setPermissions(user, checkedPermissions(form));
        team.put(updated);
        toast(`Permissions updated for ${displayName(updated)}`);
        return true;
      } catch (err) {
        return handleWriteError(err, form, user, (fresh) => {
          user = fresh;
          for (const b of form.querySelectorAll('input[name="permissions"]')) b.checked = fresh.permissions.includes(b.value);
        });
      }
    },
  });
  return close;
}
