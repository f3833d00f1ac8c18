// The team table: the page's main view with its "Invite user" button, the
// find bar (find-bar.js: search, filters, "Find my row"), sortable column
// headers, the count line, one page of members at a time with Previous and
// Next, the loading skeleton and the empty states. It owns the rows shown;
// the sidebars and dialogs change them only through put and drop.
//
// Only one page is in the DOM at a time, so the page stays as light among
// 100,000 people as among 10 (SPEC §2.1); pages are read through the API's
// cursors, and Previous goes back through the cursors already seen.

import { h, icon, button } from "./dom.js";
import { createFindBar } from "./find-bar.js";
import {
  apiParams, compareUsers, countLine, createLatest, emptyQuery, formatCount, isFiltering, keepInURL, knownTab, readQuery, sameQuery,
} from "./list-query.js";
import { breadcrumb, pageHead } from "./layout.js";
import { teamRow, openRowMenu } from "./row.js";
import { displayName } from "./format.js";

// A filtered request may answer with fewer users than asked while more
// follow (SPEC §4: the server bounds each request's work); the table asks
// again to fill its page, but at most this many times, then shows what it
// has with "Next page". While it has found no one it keeps asking longer,
// so that "No one matches" is rarely a page of nothing with more to come.
const MAX_REQUESTS_PER_PAGE = 5;
const MAX_REQUESTS_WHILE_EMPTY = 20;

// The loading look appears only when an answer takes longer than this, so
// a quick search does not make the table blink.
const SLOW_MS = 300;

// At most this many invited people are counted for the count line: one
// request, and "100+ invited" beyond it.
const INVITED_LIMIT = 100;

const DAY_FORMAT = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

/** dateAddedCell says when u joined the team (createdAt), as a date people read. */
function dateAddedCell(u) {
  const at = u.createdAt ? new Date(u.createdAt) : null;
  const content = !at || Number.isNaN(at.getTime())
    ? h("span", { class: "muted", text: "—" })
    : h("time", { class: "tabular", datetime: u.createdAt, title: at.toLocaleString("en"), text: DAY_FORMAT.format(at) });
  return h("td", { class: "cell-added", "data-label": "Added" }, content);
}

const SORT_COLUMNS = [
  { sort: "email", label: "Email", direction: "ascending", cls: "col-user" },
  { sort: "name", label: "Name", direction: "ascending", cls: "col-name" },
];

/**
 * createTeamTable returns the table drawn into view. context is the page's
 * shared { me, tabs, businessName }; onInvite opens the invite sidebar; rowActions is what
 * a row's menu can do (see openRowMenu); headActions, when given, returns
 * more buttons for the heading.
 */
export function createTeamTable({ view, businessId, api, pageSize, context, onInvite, rowActions, headActions }) {
  // The list's query (search, filters, sort) starts from the page's URL
  // and is kept there (list-query.js).
  let query = readQuery(location.search);
  let users = [];
  let rows = new Map(); // email → <tr>
  let els = {}; // the table view's live elements
  let bar = null;
  // Paging: cursors[i] starts page i (null for the first), offsets[i] is
  // how many matching users come before it; nextCursor follows the page shown.
  let cursors = [null];
  let offsets = [0];
  let pageIndex = 0;
  let nextCursor = null;
  let total = null; // the API's count of the whole team, null until given
  let invited = null; // { n, complete } once counted
  const latest = createLatest();
  const invitedCount = createLatest();
  let slowTimer = null;

  /** render replaces the view with an empty table, ready for setLoading or showUsers. */
  function render() {
    const invite = button("Invite user", { class: "btn btn-primary", id: "invite-user", onclick: onInvite }, "plus");
    const tbody = h("tbody");
    const count = h("p", { class: "card-sub", id: "team-count" });
    const prev = button("Previous page", { class: "btn btn-secondary btn-sm", id: "page-prev", onclick: () => goTo(pageIndex - 1) }, "chevron-left");
    const next = button("Next page", { class: "btn btn-secondary btn-sm", id: "page-next", onclick: () => goTo(pageIndex + 1) });
    next.append(icon("chevron-right"));
    const range = h("p", { class: "page-range", id: "page-range" });
    const footer = h("nav", { class: "card-footer pager", "aria-label": "Pages", hidden: true }, prev, range, next);
    const status = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    const caption = h("caption", { class: "sr-only" });
    const headers = SORT_COLUMNS.map((c) => sortHeader(c));
    const added = sortHeader({ sort: "newest", label: "Date added", direction: "descending", cls: "col-added" });
    const table = h("table", { class: "users", id: "team-table", "aria-describedby": "team-count" },
      caption,
      h("thead", {}, h("tr", {},
        headers[0],
        headers[1],
        h("th", { scope: "col", text: "Phone" }),
        h("th", { scope: "col", text: "Permissions" }),
        added,
        h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only", text: "Actions" })))),
      tbody);
    const emptyTitle = h("h3");
    const emptyText = h("p");
    const clear = button("Clear filters", { class: "btn btn-secondary", id: "clear-filters", onclick: clearFilters }, "close");
    const empty = h("div", { class: "empty", hidden: true },
      h("div", { class: "state-icon info" }, icon("users")),
      emptyTitle, emptyText, h("div", { class: "state-actions" }, clear));
    const failure = h("div", { class: "form-banner list-error", role: "alert", hidden: true });
    bar = createFindBar({ query, onChange: (patch) => setQuery(patch), onFindMe: findMe, onClear: clearFilters });
    const card = h("section", { class: "card", "aria-labelledby": "team-title" },
      h("div", { class: "card-head" },
        h("div", {}, h("h2", { id: "team-title", text: "Team members" }), count)),
      bar.element,
      failure,
      h("div", { class: "table-wrap" }, table, empty),
      footer);
    // headActions() gives the heading's other buttons (Invite several,
    // Export CSV), drawn anew with the table.
    const actions = headActions ? h("div", { class: "head-actions" }, ...headActions(), invite) : invite;
    view.replaceChildren(breadcrumb(), pageHead(actions), card, status);
    els = { invite, tbody, count, prev, next, range, footer, status, card, table, empty, emptyTitle, emptyText, clear, caption, failure, headers: [...headers, added] };
    nameCaption();
    showSort();
    rows = new Map();
  }

  function sortHeader({ sort, label, direction, cls }) {
    const th = h("th", { scope: "col", class: cls, "data-sort": sort, "data-direction": direction },
      h("button", { type: "button", class: "sort-btn", onclick: () => setQuery({ sort }) },
        h("span", { text: label }), icon(direction === "descending" ? "arrow-down" : "arrow-up")));
    return th;
  }

  /**
   * showSort marks the sorted column with aria-sort (and its arrow); the
   * others carry none. A search lists its matches best first (emails
   * starting with the search, then full names, then last names; see
   * docs/openapi.yaml), whatever the sort: then no column claims the order
   * and the sort buttons wait, saying why, until the search is cleared.
   */
  function showSort() {
    const searching = !!query.q.trim();
    for (const th of els.headers) {
      if (th.dataset.sort === query.sort && !searching) th.setAttribute("aria-sort", th.dataset.direction);
      else th.removeAttribute("aria-sort");
      const btn = th.querySelector("button");
      btn.disabled = searching;
      btn.title = searching ? "Search results are listed best match first" : "";
    }
  }

  // The caption names the business as the page knows it: by id until its
  // name has loaded.
  function nameCaption() {
    els.caption.textContent = `Team members of ${context.businessName || businessId}`;
  }

  function setLoading(loading) {
    els.card.setAttribute("aria-busy", loading ? "true" : "false");
    els.invite.disabled = loading;
    bar.setDisabled(loading);
    if (!loading) return;
    els.count.textContent = "Loading team members…";
    els.tbody.replaceChildren(...Array.from({ length: 4 }, () => h("tr", { class: "skeleton-row", "aria-hidden": "true" },
      h("td", { class: "cell-user" }, h("div", { class: "user" }, h("span", { class: "avatar skeleton" }), h("span", { class: "skeleton line w-60" }))),
      h("td", { class: "cell-name" }, h("span", { class: "skeleton line w-40" })),
      h("td", { class: "cell-phone" }, h("span", { class: "skeleton line w-50" })),
      h("td", { class: "cell-perms" }, h("span", { class: "skeleton line w-30" })),
      h("td", { class: "cell-added" }, h("span", { class: "skeleton line w-40" })),
      h("td", { class: "cell-actions" }))));
  }

  /**
   * firstPage fetches the first page of the list the URL asks for; the page
   * (app.js) shows it with showUsers, or its error.
   */
  async function firstPage() {
    const req = latest.begin();
    try {
      return await fetchPage(null, req.signal);
    } catch (err) {
      if (err.status !== 400 || sameQuery(query, emptyQuery())) throw err;
      // A link whose filter the API refuses (a tab since disabled, a
      // value edited by hand) opens the whole team rather than an error.
      query = emptyQuery();
      keepInURL(query);
      bar.set(query);
      showSort();
      return fetchPage(null, req.signal);
    }
  }

  /**
   * fetchPage reads one page of the list from cursor: up to pageSize users,
   * asking again while a filtered answer comes back short with more to
   * follow (at most MAX_REQUESTS_PER_PAGE requests, or
   * MAX_REQUESTS_WHILE_EMPTY while none has matched).
   */
  async function fetchPage(cursor, signal) {
    const params = apiParams(query);
    const got = [];
    let next = cursor;
    let count = total;
    let invitedN = null;
    for (let i = 0; i < (got.length ? MAX_REQUESTS_PER_PAGE : MAX_REQUESTS_WHILE_EMPTY); i++) {
      const page = await api.listUsers(next, pageSize - got.length, params, { signal });
      got.push(...page.users);
      next = page.nextCursor;
      count = typeof page.total === "number" ? page.total : null;
      invitedN = typeof page.invited === "number" ? page.invited : null;
      if (!next || got.length >= pageSize) break;
    }
    return { users: got, nextCursor: next, total: count, invited: invitedN };
  }

  /** showUsers ends loading with the first page of the team, once the tabs are known. */
  function showUsers(page) {
    const checked = knownTab(query, context.tabs);
    bar.setTabs(context.tabs, checked.tab);
    if (!sameQuery(checked, query)) { query = checked; keepInURL(query); }
    setLoading(false);
    nameCaption();
    showPage(0, null, page);
    if (!invited) countInvited();
  }

  /** showPage makes page (fetched from cursor) the page shown, as page number index. */
  function showPage(index, cursor, page) {
    pageIndex = index;
    cursors = cursors.slice(0, index + 1);
    offsets = offsets.slice(0, index + 1);
    cursors[index] = cursor;
    users = page.users;
    nextCursor = page.nextCursor;
    total = page.total;
    if (page.invited !== null) invited = { n: page.invited, complete: true };
    offsets[index + 1] = offsets[index] + users.length;
    els.failure.hidden = true;
    renderRows();
  }

  /**
   * setQuery changes what the list shows (patch holds the changed parts),
   * keeps it in the URL and fetches its first page; a change that asks
   * for the list already shown fetches nothing.
   */
  function setQuery(patch, { then } = {}) {
    const next = { ...query, ...patch };
    bar.set(next);
    if (sameQuery(next, query) && !then) return;
    query = next;
    keepInURL(query);
    showSort();
    load(0, null, { then });
  }

  function goTo(index) {
    if (index < 0 || index >= cursors.length + (nextCursor ? 1 : 0)) return;
    const cursor = index === cursors.length ? nextCursor : cursors[index];
    load(index, cursor, { paging: true });
  }

  /**
   * load fetches a page and shows it. A newer load abandons an older one
   * (its request is aborted, its answer dropped), so what is shown always
   * answers the latest question.
   */
  async function load(index, cursor, { paging, then } = {}) {
    const req = latest.begin();
    clearTimeout(slowTimer);
    els.card.setAttribute("aria-busy", "true");
    slowTimer = setTimeout(() => els.card.classList.add("is-loading"), SLOW_MS);
    let page;
    try {
      page = await fetchPage(cursor, req.signal);
    } catch (err) {
      if (!req.current()) return;
      finish();
      if (err.status === 401) return; // the page shows sign-in
      showFailure(err, () => load(index, cursor, { paging, then }));
      return;
    }
    if (!req.current()) return;
    finish();
    showPage(index, cursor, page);
    els.status.textContent = paging ? `${els.range.textContent}. ${els.count.textContent}.` : `${els.count.textContent}.`;
    if (paging) {
      // Stay on the button pressed, unless this page has no further one.
      const pressed = document.activeElement;
      if (pressed && pressed.disabled) (pressed === els.next ? els.prev : els.next).focus();
      if (els.card.getBoundingClientRect().top < 0) els.card.scrollIntoView({ block: "start" });
    }
    if (then) then();
  }

  function finish() {
    clearTimeout(slowTimer);
    els.card.classList.remove("is-loading");
    els.card.setAttribute("aria-busy", "false");
  }

  /**
   * showFailure keeps the rows shown and says above them that the new list
   * could not be loaded, with a way to try again.
   */
  function showFailure(err, retry) {
    els.failure.replaceChildren(icon("alert"), h("span", { text: `We couldn't load this list. ${err.message}` }),
      button("Try again", { class: "btn btn-secondary btn-sm", onclick: retry }, "refresh"));
    els.failure.hidden = false;
  }

  /**
   * countInvited counts the invited people for the count line when the API
   * did not (a server from before issue 11 gives no invited count): one
   * request of up to INVITED_LIMIT, exact when it reaches the end of that
   * filter, else a lower bound ("100+ invited").
   */
  async function countInvited() {
    const req = invitedCount.begin();
    try {
      const page = await api.listUsers(null, INVITED_LIMIT, { status: "invited" }, { signal: req.signal });
      if (!req.current()) return;
      // Counted from the users' own status, so that a server which
      // ignored the filter would still not be miscounted.
      invited = { n: page.users.filter((u) => u.status === "invited").length, complete: !page.nextCursor };
      updateCount();
    } catch {
      // The count line then shows the people without the invited part.
    }
  }

  function updateCount() {
    const filtering = isFiltering(query);
    const n = users.length;
    els.count.textContent = countLine({
      filtering, total, invited,
      matches: { n: offsets[pageIndex] + n, complete: !nextCursor },
    });
    const paged = pageIndex > 0 || !!nextCursor;
    els.footer.hidden = !paged;
    els.prev.disabled = pageIndex === 0;
    els.next.disabled = !nextCursor;
    const from = offsets[pageIndex] + 1, to = offsets[pageIndex] + n;
    const of = !filtering && total !== null ? ` of ${formatCount(total)}` : !nextCursor ? ` of ${formatCount(to)}` : "";
    els.range.textContent = n > 0 ? `${formatCount(from)}–${formatCount(to)}${of}`
      : nextCursor ? "None found yet: more to search" : `Page ${pageIndex + 1}`;
    // The empty state says no one matches only once the list has ended;
    // before that the (empty) table stays, with Next to search on.
    const none = n === 0 && pageIndex === 0 && !nextCursor;
    els.empty.hidden = !none;
    els.table.hidden = none;
    // One "Clear filters" at a time: the empty state's when nothing matches.
    bar.setClearable(filtering && !none);
    if (none) describeEmpty(filtering);
  }

  function describeEmpty(filtering) {
    els.clear.hidden = !filtering;
    if (!filtering) {
      els.emptyTitle.textContent = "No team members yet";
      els.emptyText.textContent = "Invite people to give them access to Business App.";
      return;
    }
    const q = query.q.trim();
    els.emptyTitle.textContent = q ? `No one matches “${q}”` : "No one matches these filters";
    els.emptyText.textContent = q
      ? "Search looks at the start of an email address, a first name, a last name or a full name."
      : "Try another status or access, or clear the filters to see everyone.";
  }

  /** clearFilters shows the whole team again; focus goes to the search box. */
  function clearFilters() {
    setQuery({ q: "", status: "", tab: "" }, { then: () => document.getElementById("find-q").focus() });
  }

  /**
   * findMe shows the caller's own row with one action, wherever it would be
   * among 100,000: it searches for their email, with no other filter, and
   * moves focus to their row's actions.
   */
  function findMe() {
    if (!context.me) return;
    setQuery({ q: context.me, status: "", tab: "" }, {
      then: () => {
        const tr = rows.get(context.me);
        if (!tr) return;
        tr.classList.remove("flash");
        void tr.offsetWidth; // restart the highlight if it ran before
        tr.classList.add("flash");
        tr.querySelector(".row-actions").focus();
      },
    });
  }

  /** renderRows redraws every row from the users held. */
  function renderRows() {
    rows = new Map();
    els.tbody.replaceChildren(...users.map((u) => {
      const tr = rowWithDate(u);
      rows.set(u.email, tr);
      return tr;
    }));
    updateCount();
  }

  // The Date added column is this table's, for its sort: its cell goes
  // into the row before the actions.
  function rowWithDate(u) {
    const tr = row(u);
    tr.insertBefore(dateAddedCell(u), tr.lastElementChild);
    return tr;
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

  /**
   * put inserts or replaces a user on the page shown, in the page's order,
   * and redraws its row. Someone just invited is shown on the page in view
   * even when their place in the whole list is on another page (or outside
   * the filter), so the person who invited them sees it happen; the count
   * line counts them.
   */
  function put(user, { replacing, highlight } = {}) {
    const old = replacing || user.email;
    const added = !rows.has(old) && !rows.has(user.email);
    const oldRow = rows.get(old);
    users = users.filter((u) => u.email !== old && u.email !== user.email);
    if (oldRow) { oldRow.remove(); rows.delete(old); }
    const dupe = rows.get(user.email);
    if (dupe) { dupe.remove(); rows.delete(user.email); }
    const order = compareUsers(query.sort);
    let i = users.findIndex((u) => order(u, user) > 0);
    if (i < 0) i = users.length;
    users.splice(i, 0, user);
    const tr = rowWithDate(user);
    rows.set(user.email, tr);
    const next = users[i + 1];
    els.tbody.insertBefore(tr, next ? rows.get(next.email) : null);
    if (highlight) tr.classList.add("flash");
    if (added) {
      if (total !== null) total++;
      if (invited && user.status === "invited") invited = { ...invited, n: invited.n + 1 };
    }
    updateCount();
  }

  /**
   * drop removes a user's row and returns where focus should go now that it
   * is gone: the row that took its place, or "Invite user".
   */
  function drop(email) {
    const idx = users.findIndex((u) => u.email === email);
    if (idx >= 0) {
      const [gone] = users.splice(idx, 1);
      if (total !== null) total = Math.max(0, total - 1);
      if (invited && gone.status === "invited") invited = { ...invited, n: Math.max(0, invited.n - 1) };
    }
    const tr = rows.get(email);
    if (tr) tr.remove();
    rows.delete(email);
    updateCount();
    const next = users[idx] || users[idx - 1];
    return next ? actionButton(next.email) : els.invite;
  }

  return { render, setLoading, firstPage, showUsers, userOf, nameOf, actionButton, inviteButton, put, drop };
}

