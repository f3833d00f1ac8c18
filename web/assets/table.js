// The team table: the page's main view with its "Invite user" button, the
// members in email order, the count above them, the loading skeleton, the
// empty state, and "Load more" for the next page. It owns the list of users
// shown; the sidebars and dialogs change it only through put and drop.

import { h, icon, button, setBusy, toast } from "./dom.js";
import { breadcrumb, pageHead } from "./layout.js";
import { teamRow, openRowMenu } from "./row.js";
import { displayName } from "./format.js";

/**
 * createTeamTable returns the table drawn into view. context is the page's
 * shared { me, tabs, businessName }; onInvite opens the invite sidebar; rowActions is what
 * a row's menu can do (see openRowMenu); headActions, when given, returns
 * more buttons for the heading.
 */
export function createTeamTable({ view, businessId, api, pageSize, context, onInvite, rowActions, headActions }) {
  let users = [];
  let nextCursor = null;
  let rows = new Map(); // email → <tr>
  let els = {}; // the table view's live elements

  /** render replaces the view with an empty table, ready for setLoading or showUsers. */
  function render() {
    const invite = button("Invite user", { class: "btn btn-primary", id: "invite-user", onclick: onInvite }, "plus");
    const tbody = h("tbody");
    const count = h("p", { class: "card-sub", id: "team-count" });
    const loadMore = button("Load more", { class: "btn btn-secondary", id: "load-more", onclick: more });
    const footer = h("div", { class: "card-footer", hidden: true }, loadMore);
    const status = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    const caption = h("caption", { class: "sr-only" });
    const table = h("table", { class: "users", "aria-describedby": "team-count" },
      caption,
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", text: "Email" }),
        h("th", { scope: "col", text: "Name" }),
        h("th", { scope: "col", text: "Phone" }),
        h("th", { scope: "col", text: "Permissions" }),
        h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only", text: "Actions" })))),
      tbody);
    const empty = h("div", { class: "empty", hidden: true },
      h("div", { class: "state-icon info" }, icon("users")),
      h("h3", { text: "No team members yet" }),
      h("p", { text: "Invite people to give them access to Business App." }));
    const card = h("section", { class: "card", "aria-labelledby": "team-title" },
      h("div", { class: "card-head" },
        h("div", {}, h("h2", { id: "team-title", text: "Team members" }), count)),
      h("div", { class: "table-wrap" }, table, empty),
      footer);
    // headActions() gives the heading's other buttons (Invite several,
    // Export CSV), drawn anew with the table.
    const actions = headActions ? h("div", { class: "head-actions" }, ...headActions(), invite) : invite;
    view.replaceChildren(breadcrumb(), pageHead(actions), card, status);
    els = { invite, tbody, count, loadMore, footer, status, card, table, empty, caption };
    nameCaption();
    rows = new Map();
  }

  // The caption names the business as the page knows it: by id until its
  // name has loaded.
  function nameCaption() {
    els.caption.textContent = `Team members of ${context.businessName || businessId}`;
  }

  function setLoading(loading) {
    els.card.setAttribute("aria-busy", loading ? "true" : "false");
    els.invite.disabled = loading;
    if (!loading) return;
    els.count.textContent = "Loading team members…";
    els.tbody.replaceChildren(...Array.from({ length: 4 }, () => h("tr", { class: "skeleton-row", "aria-hidden": "true" },
      h("td", { class: "cell-user" }, h("div", { class: "user" }, h("span", { class: "avatar skeleton" }), h("span", { class: "skeleton line w-60" }))),
      h("td", { class: "cell-name" }, h("span", { class: "skeleton line w-40" })),
      h("td", { class: "cell-phone" }, h("span", { class: "skeleton line w-50" })),
      h("td", { class: "cell-perms" }, h("span", { class: "skeleton line w-30" })),
      h("td", { class: "cell-actions" }))));
  }

  /** showUsers ends loading with the first page of the team. */
  function showUsers(page) {
    users = page.users;
    nextCursor = page.nextCursor;
    setLoading(false);
    nameCaption();
    renderRows();
  }

  function updateCount() {
    const n = users.length;
    const noun = n === 1 ? "person" : "people";
    els.count.textContent = nextCursor ? `Showing the first ${n} ${noun}` : `${n} ${noun} with access`;
    els.footer.hidden = !nextCursor;
    els.empty.hidden = n > 0;
    els.table.hidden = n === 0;
  }

  /** renderRows redraws every row from the users held. */
  function renderRows() {
    rows = new Map();
    els.tbody.replaceChildren(...users.map((u) => {
      const tr = row(u);
      rows.set(u.email, tr);
      return tr;
    }));
    updateCount();
  }

  function row(u) {
    return teamRow(u, { isMe: u.email === context.me, tabs: context.tabs, showMenu: (trigger) => showRowMenu(trigger, u.email), nameOf });
  }

  function showRowMenu(trigger, email) {
    const u = userOf(email);
    if (!u) return;
    openRowMenu(trigger, u, { isMe: u.email === context.me, actions: rowActions });
  }

  /** nameOf names a teammate by email: their name if the table holds them. */
  function nameOf(email) {
    const u = userOf(email);
    return u ? displayName(u) : email;
  }

  function userOf(email) {
    return users.find((u) => u.email === email);
  }

  function actionButton(email) {
    const tr = rows.get(email);
    return tr ? tr.querySelector(".row-actions") : null;
  }

  function inviteButton() {
    return els.invite;
  }

  /** put inserts or replaces a user in email order and redraws its row. */
  function put(user, { replacing, highlight } = {}) {
    const old = replacing || user.email;
    const oldRow = rows.get(old);
    users = users.filter((u) => u.email !== old && u.email !== user.email);
    if (oldRow) { oldRow.remove(); rows.delete(old); }
    const dupe = rows.get(user.email);
    if (dupe) { dupe.remove(); rows.delete(user.email); }
    let i = users.findIndex((u) => u.email > user.email);
    if (i < 0) i = users.length;
    users.splice(i, 0, user);
    const tr = row(user);
    rows.set(user.email, tr);
    const next = users[i + 1];
    els.tbody.insertBefore(tr, next ? rows.get(next.email) : null);
    if (highlight) tr.classList.add("flash");
    updateCount();
  }

  /**
   * drop removes a user's row and returns where focus should go now that it
   * is gone: the row that took its place, or "Invite user".
   */
  function drop(email) {
    const idx = users.findIndex((u) => u.email === email);
    if (idx >= 0) users.splice(idx, 1);
    const tr = rows.get(email);
    if (tr) tr.remove();
    rows.delete(email);
    updateCount();
    const next = users[idx] || users[idx - 1];
    return next ? actionButton(next.email) : els.invite;
  }

  async function more() {
    setBusy(els.loadMore, true, "Loading…");
    try {
      const page = await api.listUsers(nextCursor, pageSize);
      nextCursor = page.nextCursor;
      const before = users.length;
      for (const u of page.users) {
        if (!rows.has(u.email)) put(u);
      }
      els.status.textContent = `Loaded ${users.length - before} more.`;
      const first = page.users.find((u) => rows.has(u.email));
      updateCount();
      if (!nextCursor && first) actionButton(first.email).focus();
    } catch (err) {
      if (err.status !== 401) toast(err.message, { kind: "error" });
    } finally {
      setBusy(els.loadMore, false, "Load more");
    }
  }

  return { render, setLoading, showUsers, userOf, nameOf, actionButton, inviteButton, put, drop };
}
