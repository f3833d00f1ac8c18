// The history (SPEC §2.7): what happened in the business, newest first, as
// sentences ("Ann Lee invited bob@example.com · 2 min ago"), with the exact
// time a hover or a screen reader away. The History tab shows the whole
// business's with a type filter; "View history" on a row shows one
// person's, following them through email changes (by id).

import { h, icon, button, setBusy, openDialog } from "./dom.js";
import { fullName, displayName, userSummary } from "./format.js";
import { timeAgo } from "./time.js";

// The activity types of SPEC §4, as the filter names them.
const TYPES = [
  ["", "All activity"],
  ["user.added", "Invitations"],
  ["user.activated", "Invitations accepted"],
  ["user.invitation_resent", "Invitations resent"],
  ["user.permissions_changed", "Permission changes"],
  ["user.contact_changed", "Contact changes"],
  ["user.removed", "Removals"],
  ["owner.transferred", "Ownership"],
];

const ICON_OF = {
  "user.added": "plus", "user.activated": "check", "user.invitation_resent": "refresh",
  "user.permissions_changed": "shield", "user.contact_changed": "edit", "user.removed": "trash", "owner.transferred": "users",
};

/**
 * activitySentence says what activity a did, in words: who (nameOf names
 * an actor by email as the page knows them), what, to whom; tabName names
 * a tab by id.
 */
export function activitySentence(a, { nameOf = (e) => e, tabName = (id) => id } = {}) {
  const actor = a.actor && a.actor.email ? nameOf(a.actor.email) : "Someone";
  const t = a.target || {};
  const target = fullName(t) || t.email;
  const own = a.actor && t.id && a.actor.id === t.id;
  const whose = own ? "their own" : possessive(t.firstName || target);
  const c = a.changes || {};
  switch (a.type) {
    case "user.added": return `${actor} invited ${t.email}`;
    case "user.activated": return `${target} accepted the invitation and signed in`;
    case "user.invitation_resent": return `${actor} resent the invitation to ${target}`;
    case "user.removed": return `${actor} removed ${target}`;
    case "owner.transferred": return `${actor} made ${target} the owner`;
    case "user.permissions_changed": {
      const from = (c.permissions && c.permissions.from) || [], to = (c.permissions && c.permissions.to) || [];
      const added = to.filter((p) => !from.includes(p)).map((p) => `+ ${tabName(p)}`);
      const removed = from.filter((p) => !to.includes(p)).map((p) => `− ${tabName(p)}`);
      const diff = [...added, ...removed].join(", ");
      return `${actor} changed ${whose} permissions${diff ? `: ${diff}` : ""}`;
    }
    case "user.contact_changed": {
      const parts = [];
      if (c.email) parts.push(`email from ${c.email.from || "none"} to ${c.email.to || "none"}`);
      if (c.firstName || c.lastName) parts.push("name");
      if (c.phone) parts.push(c.phone.to ? `phone to ${c.phone.to}` : "phone (removed)");
      return `${actor} changed ${whose} ${parts.length ? parts.join(", ") : "contact info"}`;
    }
    default: return `${actor}: ${a.type} (${target})`;
  }
}

function possessive(name) {
  return `${name}'s`;
}

/**
 * createHistoryFeed returns { element, load() }: a list of activity with
 * "Load more" to the end. With userId it is one person's history (no type
 * filter); without, the business's, with a type filter. nameOf and tabName
 * are as for activitySentence.
 */
export function createHistoryFeed({ api, userId, nameOf, tabName, idPrefix = "history" }) {
  const list = h("ol", { class: "history-list" });
  const status = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const more = button("Load more", { class: "btn btn-secondary", id: `${idPrefix}-more`, onclick: () => fetchPage(false) });
  const end = h("p", { class: "history-end muted", hidden: true });
  const footer = h("div", { class: "history-footer", hidden: true }, more);
  const error = h("div", { class: "form-banner", role: "alert", hidden: true });
  let filter = null;
  if (!userId) {
    const select = h("select", { id: `${idPrefix}-type`, onchange: () => load() },
      TYPES.map(([value, label]) => h("option", { value, text: label })));
    filter = h("div", { class: "history-filter" }, h("label", { for: select.id, text: "Type" }), select);
  }
  const element = h("div", { class: "history", "aria-busy": "false" }, filter, error, list, footer, end, status);
  let cursor = null;
  let generation = 0; // a newer load makes an older answer stale

  function load() {
    cursor = null;
    list.replaceChildren(...Array.from({ length: 3 }, () => h("li", { class: "history-item skeleton-item", "aria-hidden": "true" },
      h("span", { class: "history-icon skeleton" }), h("span", { class: "skeleton line w-60" }))));
    return fetchPage(true);
  }

  async function fetchPage(first) {
    const mine = ++generation;
    const type = filter ? filter.querySelector("select").value : "";
    element.setAttribute("aria-busy", "true");
    error.hidden = true;
    if (!first) setBusy(more, true, "Loading…");
    try {
      const page = await api.listActivity({ type, userId, cursor: first ? null : cursor });
      if (mine !== generation) return;
      if (first) list.replaceChildren();
      const before = list.children.length;
      list.append(...page.activity.map(item));
      cursor = page.nextCursor;
      footer.hidden = !cursor;
      const n = list.children.length;
      end.hidden = !!cursor;
      end.textContent = n === 0 ? (type ? "Nothing of this type has happened yet." : "Nothing has happened yet.") : "That's everything: you've reached the beginning of the history.";
      if (!first) {
        status.textContent = `Loaded ${n - before} more.`;
        const next = list.children[before];
        if (!cursor) end.focus();
        else if (next) next.focus();
      }
    } catch (err) {
      if (mine !== generation || err.status === 401) return;
      if (first) list.replaceChildren();
      error.replaceChildren(icon("alert"), h("span", { text: `We couldn't load the history. ${err.message}` }));
      error.hidden = false;
    } finally {
      if (mine === generation) element.setAttribute("aria-busy", "false");
      if (!first) setBusy(more, false, "Load more");
    }
  }

  function item(a) {
    return h("li", { class: "history-item", tabindex: "-1" },
      h("span", { class: `history-icon t-${a.type.replace(/\W/g, "-")}`, "aria-hidden": "true" }, icon(ICON_OF[a.type] || "info")),
      h("p", { class: "history-text" }, h("span", { text: activitySentence(a, { nameOf, tabName }) }),
        h("span", { class: "history-sep", text: " · " }), timeAgo(a.at)));
  }

  end.tabIndex = -1;
  return { element, load };
}

/**
 * openHistoryPanel shows one person's history in a side panel ("View
 * history" on their row) and returns its close(), or nothing if the table
 * no longer holds them.
 */
export function openHistoryPanel(email, { api, team, context }) {
  const user = team.userOf(email);
  if (!user) return undefined;
  const isMe = user.email === context.me;
  const feed = createHistoryFeed({
    api, userId: user.id, idPrefix: "person-history",
    nameOf: team.nameOf, tabName: (id) => (context.tabs.find((t) => t.id === id) || { name: id }).name,
  });
  const closeBtn = h("button", { type: "button", class: "icon-btn", "aria-label": "Close", onclick: () => close() }, icon("close"));
  const dialog = h("dialog", { class: "sheet", "aria-labelledby": "sheet-title", "aria-describedby": "sheet-desc" },
    h("div", { class: "sheet-header" },
      h("div", {}, h("h2", { id: "sheet-title", text: `History of ${displayName(user)}` }),
        h("p", { id: "sheet-desc", class: "sheet-desc", text: "Everything recorded about this person in this business, newest first, including under earlier email addresses." })),
      closeBtn),
    h("div", { class: "sheet-body" }, userSummary(user, isMe), feed.element),
    h("div", { class: "sheet-footer" }, button("Close", { class: "btn btn-secondary", onclick: () => close() })));
  const close = openDialog(dialog, { returnFocus: () => team.actionButton(user.email), initialFocus: () => closeBtn });
  feed.load();
  return close;
}
