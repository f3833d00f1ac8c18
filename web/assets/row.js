// One team member's row in the table: their cells, and the actions menu its
// "…" button opens. The table (table.js) decides which rows exist and in
// what order; this module only draws one.

import { h, icon, openMenu, closeMenus } from "./dom.js";
import { fullName, displayName, avatar, formatPhone, permissionSummary, invitationStatus } from "./format.js";

/**
 * teamRow builds the <tr> for user u. showMenu(trigger) opens the row's
 * actions menu; the table supplies it so the menu acts on the user as the
 * table holds them when it opens, not as they were when the row was drawn.
 */
export function teamRow(u, { isMe, tabs, showMenu }) {
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
        h("span", { class: "user-email" }, h("span", { class: "email", text: u.email }), isMe ? h("span", { class: "badge", text: "You" }) : null,
          u.isOwner ? h("span", { class: "badge badge-owner", text: "Owner" }) : null,
          statusBadge(u)),
        name ? h("span", { class: "user-name-mobile", text: name }) : null))),
    h("td", { class: "cell-name", "data-label": "Name" }, name ? h("span", { text: name }) : h("span", { class: "muted", text: "—" })),
    h("td", { class: "cell-phone", "data-label": "Phone" }, u.phone ? h("span", { class: "tabular", text: formatPhone(u.phone) }) : h("span", { class: "muted", text: "—" })),
    h("td", { class: "cell-perms", "data-label": "Permissions" }, permissionSummary(u, tabs)),
    h("td", { class: "cell-actions" }, trigger));
}

/**
 * statusBadge marks a user who has not signed in yet: "Invited · expires in
 * 14 days" while their invitation admits them, "Invitation expired" once it
 * no longer does (a manager must resend it). Active users get no badge. The
 * words carry the meaning; the colour only repeats it.
 */
function statusBadge(u) {
  const status = invitationStatus(u);
  if (!status) return null;
  return h("span", { class: status.expired ? "badge badge-expired" : "badge badge-invited", text: status.text });
}

/**
 * openRowMenu shows what can be done to user u under trigger. actions holds
 * editContact(email), editPermissions(email) and remove(email). An action
 * the API would refuse (SPEC I2, I9) stays in the menu, disabled with the
 * reason, so people learn why rather than wonder where it went: removing
 * yourself or the owner, and changing the owner's permissions unless you
 * are the owner (who may change their own, bar Users and Administration).
 */
export function openRowMenu(trigger, u, { isMe, actions }) {
  const noRemove = isMe ? "You can't remove yourself" : u.isOwner ? "The owner can't be removed until they hand on ownership" : null;
  const noPermissions = u.isOwner && !isMe ? "Only the owner can change the owner's permissions" : null;
  openMenu(trigger, [
    { label: "Edit contact info", icon: "edit", run: () => actions.editContact(u.email) },
    {
      label: "Edit permissions", icon: "shield", disabled: !!noPermissions,
      hint: noPermissions, run: () => actions.editPermissions(u.email),
    },
    {
      label: "Remove user", icon: "trash", danger: true, disabled: !!noRemove,
      hint: noRemove, run: () => actions.remove(u.email),
    },
  ], { label: `Actions for ${displayName(u)}` });
}
