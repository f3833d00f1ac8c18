// How a team member is shown: their name, initials and avatar, their phone
// number, their invitation status, and the header that says whose
// details a sidebar holds. Every part of the page shows people through these
// functions, so a person looks the same in the table, the sidebars and the
// account area.

import { h } from "./dom.js";

export function fullName(u) {
  return [u.firstName, u.lastName].filter(Boolean).join(" ");
}

export function displayName(u) {
  return fullName(u) || u.email;
}

function initials(u) {
  if (u.firstName || u.lastName) {
    return ((u.firstName || "").charAt(0) + (u.lastName || "").charAt(0)).toUpperCase() || "?";
  }
  const parts = u.email.split("@")[0].split(/[._+-]+/).filter(Boolean);
  return ((parts[0] || "?").charAt(0) + (parts[1] || "").charAt(0)).toUpperCase();
}

// Dark enough for white initials to pass WCAG AA contrast.
const AVATAR_COLORS = ["#4338ca", "#0f766e", "#b45309", "#be185d", "#1d4ed8", "#6d28d9", "#047857", "#c2410c", "#0e7490", "#a21caf"];

export function avatar(u, size = "") {
  const fallback = initialsAvatar(u, size);
  if (!u.profileImageUrl) return fallback;
  // A picture that fails to load (moved, blocked, offline) gives way to the
  // initials rather than a broken-image icon.
  const img = h("img", { class: `avatar avatar-img ${size}`, src: u.profileImageUrl, alt: "" });
  img.addEventListener("error", () => img.replaceWith(fallback), { once: true });
  return img;
}

function initialsAvatar(u, size) {
  let hash = 0;
  for (const c of u.email) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const el = h("span", { class: `avatar ${size}`, "aria-hidden": "true", text: initials(u) });
  el.style.background = AVATAR_COLORS[hash % AVATAR_COLORS.length];
  return el;
}

/** formatPhone shows North American E.164 numbers the way people write them. */
export function formatPhone(p) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(p || "");
  return m ? `+1 (${m[1]}) ${m[2]}-${m[3]}` : p;
}

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;

/**
 * invitationStatus says where an invited user's invitation stands at now
 * (ms since the epoch), as the table shows it: { text, expired }, or null for
 * an active user, who needs no status. SPEC §4: an invitation admits its
 * invitee until invitationExpiresAt; after that they are refused until a
 * manager resends it. Days are rounded, so a fresh 14-day invitation reads
 * "expires in 14 days" rather than 13; under a day the hours are given, as
 * "expires in 0 days" would say nothing.
 */
export function invitationStatus(u, now = Date.now()) {
  if (u.status !== "invited") return null;
  const at = u.invitationExpiresAt ? Date.parse(u.invitationExpiresAt) : NaN;
  if (Number.isNaN(at)) return { text: "Invited", expired: false };
  const left = at - now;
  if (left <= 0) return { text: "Invitation expired", expired: true };
  let when;
  if (left >= DAY) when = plural(Math.round(left / DAY), "day");
  else if (left >= HOUR) when = plural(Math.round(left / HOUR), "hour");
  else when = "less than an hour";
  return { text: `Invited · expires in ${when}`, expired: false };
}

function plural(n, unit) {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** userSummary is the top of a sidebar that edits one person: who it is. */
export function userSummary(u, isMe) {
  return h("div", { class: "user-summary" }, avatar(u),
    h("div", { class: "user-text" },
      h("span", { class: "summary-name" }, displayName(u), isMe ? h("span", { class: "badge", text: "You" }) : null,
        u.isOwner ? h("span", { class: "badge badge-owner", text: "Owner" }) : null),
      fullName(u) ? h("span", { class: "muted", text: u.email }) : null));
}
