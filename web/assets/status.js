// What the table says about a person beyond their contact details: where
// their invitation stands and who sent it (SPEC §2.1, §2.3), whether they
// are a manager. Every explanation is a
// toggletip, so keyboard and touch users reach what a pointer reaches.

import { h } from "./dom.js";
import { invitationStatus } from "./format.js";
import { relativeTime, exactTime } from "./time.js";
import { toggletip } from "./toggletip.js";

/**
 * statusBadge marks a user who has not signed in yet: "Invited · expires in
 * 14 days" while their invitation admits them, "Invitation expired" once it
 * no longer does. The badge is a button whose toggletip says who invited
 * them and when ("Invited by Ann Lee · 3 days ago"); nameOf(email) names
 * the inviter as the page knows them. Active users get no badge. The words
 * carry the meaning; the colour only repeats it.
 */
export function statusBadge(u, { nameOf = (e) => e, now = Date.now() } = {}) {
  const status = invitationStatus(u, now);
  if (!status) return null;
  const by = u.invitedBy ? `Invited by ${nameOf(u.invitedBy)}` : "Invited";
  const when = u.createdAt ? ` · ${relativeTime(u.createdAt, now)}` : "";
  const tip = [h("span", { class: "tip-line", text: by + when })];
  if (u.createdAt) tip.push(h("span", { class: "tip-sub", text: exactTime(u.createdAt) }));
  if (status.expired) tip.push(h("span", { class: "tip-sub", text: "Resend the invitation from the row's menu to let them in." }));
  return toggletip({ class: status.expired ? "badge badge-expired" : "badge badge-invited" }, status.text, tip);
}

/** isManager reports whether u holds the Users permission (SPEC §2). */
export function isManager(u) {
  return (u.permissions || []).includes("users");
}
