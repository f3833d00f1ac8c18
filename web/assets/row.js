// One team member's row in the table: their cells, and the actions menu its
// "…" button opens. The table (table.js) decides which rows exist and in
// what order; this module only draws one.

import { h, icon, openMenu, closeMenus } from "./dom.js";
import { fullName, displayName, avatar, formatPhone } from "./format.js";
import { statusBadge, isManager } from "./status.js";
import { permissionCell } from "./perm-summary.js";

/**
 * teamRow builds the <tr> for user u. showMenu(trigger) opens the row's
 * actions menu; the table supplies it so the menu acts on the user as the
 * table holds them when it opens, not as they were when the row was drawn.
 */
export function teamRow(u, { isMe, tabs, showMenu, nameOf }) {
  const name = fullName(u);
  const trigger = h("button", {
    type: "button", class: "icon-btn row-actions", "aria-haspopup": "menu", "aria-expanded": "false",
    "aria-label": `Actions for ${displayName(u)}`, "data-email": u.email,
  }, icon("dots"));
  trigger.addEventListener("click", () => {
    if (trigger.getAttribute("aria-expanded") === "true") closeMenus();
    else showMenu(trigger);
  });
  trigger.addEventListener("keydown", (e) => {
    // Arrow keys open the menu too, as menu buttons usually do.
    if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); showMenu(trigger); }
  });
  return h("tr", { "data-email": u.email, class: isMe ? "is-me" : null },
    h("td", { class: "cell-user" }, h("div", { class: "user" },
      avatar(u),
      h("div", { class: "user-text" },
        h("span", { class: "user-email" }, h("span", { class: "email", title: u.email, text: u.email }), isMe ? h("span", { class: "badge", text: "You" }) : null,
          u.isOwner ? h("span", { class: "badge badge-owner", text: "Owner" }) : null,
          isManager(u) ? h("span", { class: "role-badge", text: "Manager" }) : null,
          statusBadge(u, { nameOf })),
        name ? h("span", { class: "user-name-mobile", text: name }) : null))),
    h("td", { class: "cell-name", "data-label": "Name" }, name ? h("span", { text: name }) : h("span", { class: "muted", text: "—" })),
    h("td", { class: "cell-phone", "data-label": "Phone" }, u.phone ? h("span", { class: "tabular", text: u.phoneDisplay || formatPhone(u.phone) }) : h("span", { class: "muted", text: "—" })),
    h("td", { class: "cell-perms", "data-label": "Permissions" }, permissionCell(u, tabs)),
    h("td", { class: "cell-actions" }, trigger));
}

/**
 * openRowMenu shows what can be done to user u under trigger. actions holds
 * editContact, editPermissions, history, resend, transfer and remove (each
 * taking an email), and callerIsOwner(). An action the API would refuse
 * (SPEC I2, I9) stays in the menu, disabled with the reason, so people
 * learn why rather than wonder where it went: removing yourself or the
 * owner, and changing the owner's permissions unless you are the owner (who
 * may change their own, bar Users and Administration). Actions that do not
 * apply to this person at all are left out: "Resend invitation" for those
 * who have signed in, "Transfer ownership" unless the caller is the owner
 * and u an active manager (the only people ownership can go to).
 */
export function openRowMenu(trigger, u, { isMe, actions }) {
  const noRemove = isMe ? "You can't remove yourself" : u.isOwner ? "The owner can't be removed until they hand on ownership" : null;
  const noPermissions = u.isOwner && !isMe ? "Only the owner can change the owner's permissions" : null;
  const canTransfer = !isMe && !u.isOwner && u.status === "active" && isManager(u) && actions.callerIsOwner();
  openMenu(trigger, [
    { label: "Edit contact info", icon: "edit", run: () => actions.editContact(u.email) },
    {
      label: "Edit permissions", icon: "shield", disabled: !!noPermissions,
      hint: noPermissions, run: () => actions.editPermissions(u.email),
    },
    { label: "View history", icon: "clock", run: () => actions.history(u.email) },
    u.status === "invited" ? { label: "Resend invitation", icon: "refresh", run: () => actions.resend(u.email) } : null,
    canTransfer ? { label: "Transfer ownership", icon: "key", run: () => actions.transfer(u.email) } : null,
    {
      label: "Remove user", icon: "trash", danger: true, disabled: !!noRemove,
      hint: noRemove, run: () => actions.remove(u.email),
    },
  ].filter(Boolean), { label: `Actions for ${displayName(u)}` });
}
