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
    draft: { kind: "permissions", email: user.email }, me: context.me,
    afterCancel: async () => {
      try {
        const fresh = await api.getUser(user.email);
        if (fresh.version > user.version) {
          team.put(fresh);
          user = fresh;
          return { sent: true, message: `It was saved anyway: the cancel came too late, and ${displayName(fresh)}'s permissions are updated.` };
        }
        return { sent: false, message: "Cancelled: nothing was saved. Your changes are still in the form." };
      } catch (err) {
        return { sent: false, message: `Cancelled. We couldn't check whether the change was saved (${err.message}).` };
      }
    },
    onSubmit: async (form, signal) => {
      if (!confirmZeroTabs(form)) return false;
      try {
        const updated = await api.setPermissions(user, checkedPermissions(form), { signal });
        team.put(updated);
        toast(`Permissions updated for ${displayName(updated)}`);
        return true;
      } catch (err) {
        return handleWriteError(err, form, user, (fresh) => {
          user = fresh;
          for (const b of form.querySelectorAll('input[name="permissions"]')) b.checked = fresh.permissions.includes(b.value);
          form.querySelector('input[name="permissions"]').dispatchEvent(new Event("change", { bubbles: true }));
        }, (fresh) => {
          // The person's ticks and unticks go on top of the server's set.
          const typed = checkedPermissions(form);
          const added = typed.filter((p) => !user.permissions.includes(p));
          const removed = user.permissions.filter((p) => !typed.includes(p));
          const merged = new Set(fresh.permissions);
          for (const p of added) merged.add(p);
          for (const p of removed) merged.delete(p);
          for (const b of form.querySelectorAll('input[name="permissions"]')) if (!b.disabled) b.checked = merged.has(b.value);
          form.querySelector('input[name="permissions"]').dispatchEvent(new Event("change", { bubbles: true }));
          const name = (id) => (context.tabs.find((t) => t.id === id) || { name: id }).name;
          const diff = [...added.map((p) => `+ ${name(p)}`), ...removed.map((p) => `− ${name(p)}`)].join(", ");
          user = fresh;
          return [{ label: "Tabs", theirs: fresh.permissions.map(name).join(", ") || "No tabs", yours: diff || null }];
        });
      }
    },
  });
  return close;
}
