// Administration > User Management (SPEC §2): the team table, the invite,
// permissions and contact sidebars, the remove confirmation, and the local
// sign-in. Plain ES modules, no build step; see web/README.md.

import { h, icon, openDialog, openMenu, closeMenus, toast } from "./dom.js";
import { createApi, ApiError } from "./api.js";
import { createAuth } from "./auth.js";

const PAGE_PATH = /^\/([^/]+)\/administration\/users\/?$/;
const DEFAULT_PAGE_SIZE = 50;
// Tabs a manager can never take from themselves (SPEC I2).
const LOCKOUT_TABS = ["users", "administration"];

async function main() {
  const view = document.getElementById("view");
  let config;
  try {
    // config.json sits at the site root, next to the assets folder, so the
    // same files work wherever they are hosted.
    const resp = await fetch(new URL("../config.json", import.meta.url), { cache: "no-store" });
    if (!resp.ok) throw new Error(`config.json: ${resp.status}`);
    config = await resp.json();
  } catch (e) {
    view.replaceChildren(stateCard("alert", "The page is not configured", "config.json could not be loaded. See web/README.md for what it must contain."));
    return;
  }
  const match = location.pathname.match(PAGE_PATH);
  if (!match) {
    view.replaceChildren(stateCard("info", "Choose a business", "Open this page at /<businessId>/administration/users."));
    return;
  }
  createPage(config, decodeURIComponent(match[1])).start();
}

// ---------------------------------------------------------------------------
// Formatting

function fullName(u) {
  return [u.firstName, u.lastName].filter(Boolean).join(" ");
}

function displayName(u) {
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

function avatar(u, size = "") {
  if (u.profileImageUrl) {
    return h("img", { class: `avatar ${size}`, src: u.profileImageUrl, alt: "" });
  }
  let hash = 0;
  for (const c of u.email) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const el = h("span", { class: `avatar ${size}`, "aria-hidden": "true", text: initials(u) });
  el.style.background = AVATAR_COLORS[hash % AVATAR_COLORS.length];
  return el;
}

/** formatPhone shows North American E.164 numbers the way people write them. */
function formatPhone(p) {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(p || "");
  return m ? `+1 (${m[1]}) ${m[2]}-${m[3]}` : p;
}

function permissionSummary(user, tabs) {
  const names = tabs.filter((t) => user.permissions.includes(t.id)).map((t) => t.name);
  if (names.length === 0) return h("span", { class: "muted", text: "No tabs" });
  if (names.length === tabs.length) return h("span", { class: "pill pill-strong", text: "All tabs" });
  const shown = names.slice(0, 2).join(", ");
  return h("span", { title: names.join(", ") }, shown,
    names.length > 2 ? h("span", { class: "pill", text: `+${names.length - 2}` }) : null);
}

function stateCard(iconName, title, text, ...actions) {
  return h("section", { class: "state-card", "aria-labelledby": "state-title" },
    h("div", { class: `state-icon ${iconName}` }, icon(iconName)),
    h("h2", { id: "state-title", text: title }),
    h("p", { text }),
    actions.length ? h("div", { class: "state-actions" }, actions) : null);
}

function button(label, attrs = {}, iconName) {
  return h("button", { type: "button", class: "btn", ...attrs }, iconName ? icon(iconName) : null, h("span", { text: label }));
}

function setBusy(btn, busy, label) {
  btn.disabled = busy;
  btn.classList.toggle("busy", busy);
  if (label) btn.querySelector("span").textContent = label;
}

// ---------------------------------------------------------------------------
// Forms

/** field builds a labelled input with its hint and error slot. */
function field({ name, label, type = "text", value = "", required, hint, autocomplete, inputmode }) {
  const id = `f-${name}`;
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  const input = h("input", {
    id, name, type, value: value || "", autocomplete: autocomplete || "off", inputmode,
    required: !!required, "aria-required": required ? "true" : null, "aria-describedby": describedBy,
    spellcheck: type === "email" ? "false" : null,
  });
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true", text: " *" }) : h("span", { class: "optional", text: " (optional)" })),
    input,
    hint ? h("p", { class: "hint", id: `${id}-hint`, text: hint }) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }));
}

function clearErrors(form) {
  for (const p of form.querySelectorAll(".field-error")) { p.hidden = true; p.textContent = ""; }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const banner = form.querySelector(".form-banner");
  banner.hidden = true;
  banner.replaceChildren();
}

function showBanner(form, message) {
  const banner = form.querySelector(".form-banner");
  banner.replaceChildren(icon("alert"), h("span", { text: message }));
  banner.hidden = false;
}

/**
 * showErrors puts the API's field errors on their fields (and anything it
 * cannot place in the banner) and moves focus to the first problem.
 */
function showErrors(form, err) {
  clearErrors(form);
  const fields = { ...err.fields };
  if (err.code === "user_exists" && !fields.email) fields.email = err.message;
  let first = null;
  const unplaced = [];
  for (const [name, message] of Object.entries(fields)) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) { unplaced.push(message); continue; }
    const p = wrap.querySelector(".field-error");
    p.replaceChildren(icon("alert"), h("span", { text: message }));
    p.hidden = false;
    const control = wrap.querySelector("input:not([disabled])");
    if (control && control.type !== "checkbox") control.setAttribute("aria-invalid", "true");
    if (!first) first = control || wrap;
  }
  if (unplaced.length || !Object.keys(fields).length) {
    showBanner(form, unplaced.length ? unplaced.join(" ") : err.message);
    if (!first) first = form.querySelector(".form-banner");
  }
  if (first) {
    if (first.tabIndex < 0 && !first.matches("input")) first.tabIndex = -1;
    first.focus();
  }
}

/** permissionsFieldset lists a checkbox per enabled tab. */
function permissionsFieldset(tabs, checked, { locked = [], lockNote } = {}) {
  const boxes = tabs.map((t) => {
    const isLocked = locked.includes(t.id);
    return h("label", { class: "check" + (isLocked ? " locked" : "") },
      h("input", {
        type: "checkbox", name: "permissions", value: t.id, checked: checked.includes(t.id),
        disabled: isLocked, "aria-describedby": isLocked ? "lockout-note" : null,
      }),
      h("span", { class: "check-box", "aria-hidden": "true" }, icon("check")),
      h("span", { class: "check-label", text: t.name }),
      isLocked ? icon("lock") : null);
  });
  const all = () => [...fieldset.querySelectorAll('input[name="permissions"]:not([disabled])')];
  const toggle = button("Select all", {
    class: "btn btn-link", onclick: () => {
      const on = !all().every((b) => b.checked);
      for (const b of all()) b.checked = on;
      sync();
    },
  });
  const sync = () => { toggle.querySelector("span").textContent = all().every((b) => b.checked) ? "Clear all" : "Select all"; };
  const fieldset = h("fieldset", { class: "perms", "data-field": "permissions", onchange: sync },
    h("legend", {}, "Permissions"),
    h("div", { class: "perms-head" },
      h("p", { class: "hint", text: "Choose which tabs this person can see in Business App." }), toggle),
    h("div", { class: "check-grid" }, boxes),
    lockNote ? h("p", { class: "note", id: "lockout-note" }, icon("info"), h("span", { text: lockNote })) : null,
    h("p", { class: "field-error", id: "f-permissions-error", hidden: true }));
  sync();
  return fieldset;
}

function checkedPermissions(form) {
  // Disabled (locked) boxes are read too: they are kept as they are.
  return [...form.querySelectorAll('input[name="permissions"]')].filter((b) => b.checked).map((b) => b.value);
}

/**
 * sheet builds a sidebar <dialog> holding a form. onSubmit(form, submitBtn)
 * does the work; it returns true to close the sheet.
 */
function sheet({ title, description, submitLabel, busyLabel, body, onSubmit, returnFocus, headerExtra }) {
  const titleId = "sheet-title", descId = "sheet-desc";
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, h("span", { text: submitLabel }));
  const closeBtn = h("button", { type: "button", class: "icon-btn", "aria-label": "Close", onclick: () => close() }, icon("close"));
  const form = h("form", { class: "sheet-form", novalidate: true },
    h("div", { class: "sheet-body" },
      headerExtra || null,
      h("div", { class: "form-banner", role: "alert", tabindex: "-1", hidden: true }),
      body),
    h("div", { class: "sheet-footer" },
      button("Cancel", { class: "btn btn-secondary", onclick: () => close() }),
      submit));
  const dialog = h("dialog", { class: "sheet", "aria-labelledby": titleId, "aria-describedby": descId },
    h("div", { class: "sheet-header" },
      h("div", {}, h("h2", { id: titleId, text: title }), h("p", { id: descId, class: "sheet-desc", text: description })),
      closeBtn),
    form);
  let working = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (working) return;
    working = true;
    clearErrors(form);
    setBusy(submit, true, busyLabel);
    let done = false;
    try {
      done = await onSubmit(form);
    } finally {
      working = false;
      if (!done) setBusy(submit, false, submitLabel);
    }
    if (done) close();
  });
  const close = openDialog(dialog, { returnFocus, initialFocus: () => form.querySelector("input:not([disabled])") });
  return { dialog, form, close };
}

function validEmail(s) {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);
}

// ---------------------------------------------------------------------------
// The page

function createPage(config, businessId) {
  const view = document.getElementById("view");
  const account = document.getElementById("account");
  const auth = createAuth(config);
  let api;
  const state = { tabs: [], users: [], nextCursor: null, me: "" };
  let rows = new Map(); // email → <tr>
  let closeOpenDialog = null; // the sidebar or dialog now open, if any
  let els = {}; // the table view's live elements
  // Users per request: the API takes 1–100 (SPEC §4).
  const pageSize = Math.min(100, Math.max(1, Math.trunc(Number(config.pageSize)) || DEFAULT_PAGE_SIZE));

  document.getElementById("business").textContent = businessId;
  document.title = `User Management · ${businessId} · Business App`;

  function start() {
    api = createApi({ baseUrl: config.apiBaseUrl || "", businessId, auth, onUnauthenticated });
    if (!auth.signedIn()) return renderSignIn();
    load();
  }

  function onUnauthenticated() {
    if (closeOpenDialog) closeOpenDialog();
    closeMenus();
    auth.signOut();
    if (auth.mode === "local") renderSignIn("Your session has ended. Sign in again to continue.");
    else {
      renderAccount();
      view.replaceChildren(stateCard("lock", "Your session has ended", "Sign in to Business App again, then reopen this page.",
        button("Try again", { class: "btn btn-secondary", onclick: () => load() }, "refresh")));
    }
  }

  function renderAccount() {
    const email = auth.email();
    account.replaceChildren();
    if (!email) return;
    account.append(h("div", { class: "account" },
      avatar({ email, firstName: null, lastName: null }, "sm"),
      h("span", { class: "account-email", text: email }),
      auth.canSignOut ? h("button", {
        type: "button", class: "btn btn-ghost btn-sm", onclick: () => { auth.signOut(); renderSignIn(); },
      }, icon("logout"), h("span", { text: "Sign out" })) : null));
  }

  // ----- local sign-in

  function renderSignIn(notice) {
    account.replaceChildren();
    const suggested = (config.local && config.local.suggestedEmail) || "";
    const input = h("input", { id: "signin-email", name: "email", type: "email", autocomplete: "email", required: true, "aria-describedby": "signin-error", spellcheck: "false" });
    const error = h("p", { class: "field-error", id: "signin-error", hidden: true });
    const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, h("span", { text: "Sign in" }));
    const signIn = async (email, btn) => {
      error.hidden = true;
      input.removeAttribute("aria-invalid");
      setBusy(btn, true);
      try {
        await auth.signIn(email);
        load();
      } catch (e) {
        setBusy(btn, false);
        error.replaceChildren(icon("alert"), h("span", { text: e.message }));
        error.hidden = false;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    };
    const quick = suggested ? h("button", {
      type: "button", class: "account-choice", onclick: (e) => signIn(suggested, e.currentTarget),
    }, avatar({ email: suggested, firstName: "Demo", lastName: "Owner" }),
    h("span", { class: "choice-text" }, h("span", { class: "choice-title", text: `Continue as ${suggested}` }), h("span", { class: "choice-sub", text: "The seeded manager of the demo business" })),
    h("span", { class: "choice-arrow", "aria-hidden": "true", text: "→" })) : null;
    view.replaceChildren(h("section", { class: "signin", "aria-labelledby": "signin-title" },
      h("div", { class: "signin-logo", "aria-hidden": "true", text: "B" }),
      h("h1", { id: "signin-title", text: "Sign in to Business App" }),
      h("p", { class: "signin-sub", text: "Local development sign-in: pick the demo manager or type any email. There is no password." }),
      notice ? h("p", { class: "notice", role: "status" }, icon("info"), h("span", { text: notice })) : null,
      quick,
      quick ? h("div", { class: "divider" }, h("span", { text: "or use any email" })) : null,
      h("form", {
        class: "signin-form", novalidate: true, onsubmit: (e) => {
          e.preventDefault();
          const email = input.value.trim();
          if (!validEmail(email)) {
            error.replaceChildren(icon("alert"), h("span", { text: "Enter an email address, such as ann@example.com." }));
            error.hidden = false;
            input.setAttribute("aria-invalid", "true");
            input.focus();
            return;
          }
          signIn(email, submit);
        },
      },
      h("div", { class: "field" }, h("label", { for: "signin-email", text: "Email" }), input, error),
      submit)));
  }

  // ----- loading the team

  async function load() {
    state.me = auth.email();
    renderAccount();
    renderTableView();
    setLoading(true);
    const [tabs, users] = await Promise.allSettled([api.listTabs(), api.listUsers(null, pageSize)]);
    state.me = auth.email(); // in host mode known once the first token arrived
    renderAccount();
    if (users.status === "rejected") {
      const err = users.reason;
      if (err.status === 401) return; // onUnauthenticated showed sign-in
      if (err.status === 403) return renderNoAccess(tabs.status === "rejected" && tabs.reason.status === 403);
      return renderLoadError(err);
    }
    if (tabs.status === "rejected") {
      if (tabs.reason.status === 401) return;
      return renderLoadError(tabs.reason);
    }
    state.tabs = tabs.value;
    state.users = users.value.users;
    state.nextCursor = users.value.nextCursor;
    setLoading(false);
    renderRows();
  }

  function renderNoAccess(notMember) {
    view.replaceChildren(breadcrumb(), pageHead(), stateCard("lock",
      notMember ? "You don't have access to this business" : "You don't have access to User Management",
      notMember
        ? `${state.me || "Your account"} is not a member of ${businessId}. Ask one of its managers to invite you.`
        : `Only people with the Users permission can see and manage the team of ${businessId}. Ask a manager of this business to give you access.`,
      auth.canSignOut ? button("Sign in as someone else", { class: "btn btn-secondary", onclick: () => { auth.signOut(); renderSignIn(); } }, "logout") : null));
  }

  function renderLoadError(err) {
    view.replaceChildren(breadcrumb(), pageHead(), stateCard("alert", "We couldn't load your team", err.message,
      button("Try again", { class: "btn btn-secondary", onclick: () => load() }, "refresh")));
  }

  function breadcrumb() {
    return h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" },
      h("ol", {}, h("li", {}, h("span", { text: "Administration" })), h("li", {}, h("span", { "aria-current": "page", text: "User Management" }))));
  }

  function pageHead(...actions) {
    return h("div", { class: "page-head" },
      h("div", {},
        h("h1", { text: "User Management" }),
        h("p", { class: "page-sub", text: "Invite your team, choose which tabs each person can see, and remove access when someone leaves." })),
      actions);
  }

  function renderTableView() {
    const invite = button("Invite user", { class: "btn btn-primary", id: "invite-user", onclick: openInvite }, "plus");
    const tbody = h("tbody");
    const count = h("p", { class: "card-sub", id: "team-count" });
    const loadMore = button("Load more", { class: "btn btn-secondary", id: "load-more", onclick: more });
    const footer = h("div", { class: "card-footer", hidden: true }, loadMore);
    const status = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    const table = h("table", { class: "users", "aria-describedby": "team-count" },
      h("caption", { class: "sr-only", text: `Team members of ${businessId}` }),
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
    view.replaceChildren(breadcrumb(), pageHead(invite), card, status);
    els = { invite, tbody, count, loadMore, footer, status, card, table, empty };
    rows = new Map();
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

  function updateCount() {
    const n = state.users.length;
    const noun = n === 1 ? "person" : "people";
    els.count.textContent = state.nextCursor ? `Showing the first ${n} ${noun}` : `${n} ${noun} with access`;
    els.footer.hidden = !state.nextCursor;
    els.empty.hidden = n > 0;
    els.table.hidden = n === 0;
  }

  function renderRows() {
    rows = new Map();
    els.tbody.replaceChildren(...state.users.map((u) => {
      const tr = row(u);
      rows.set(u.email, tr);
      return tr;
    }));
    updateCount();
  }

  function row(u) {
    const isMe = u.email === state.me;
    const name = fullName(u);
    const trigger = h("button", {
      type: "button", class: "icon-btn row-actions", "aria-haspopup": "menu", "aria-expanded": "false",
      "aria-label": `Actions for ${displayName(u)}`, "data-email": u.email,
    }, icon("dots"));
    trigger.addEventListener("click", () => {
      if (trigger.getAttribute("aria-expanded") === "true") closeMenus();
      else rowMenu(trigger, u.email);
    });
    trigger.addEventListener("keydown", (e) => {
      // Arrow keys open the menu too, as menu buttons usually do.
      if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); rowMenu(trigger, u.email); }
    });
    return h("tr", { "data-email": u.email, class: isMe ? "is-me" : null },
      h("td", { class: "cell-user" }, h("div", { class: "user" },
        avatar(u),
        h("div", { class: "user-text" },
          h("span", { class: "user-email" }, h("span", { class: "email", text: u.email }), isMe ? h("span", { class: "badge", text: "You" }) : null),
          name ? h("span", { class: "user-name-mobile", text: name }) : null))),
      h("td", { class: "cell-name", "data-label": "Name" }, name ? h("span", { text: name }) : h("span", { class: "muted", text: "—" })),
      h("td", { class: "cell-phone", "data-label": "Phone" }, u.phone ? h("span", { class: "tabular", text: formatPhone(u.phone) }) : h("span", { class: "muted", text: "—" })),
      h("td", { class: "cell-perms", "data-label": "Permissions" }, permissionSummary(u, state.tabs)),
      h("td", { class: "cell-actions" }, trigger));
  }

  function userOf(email) {
    return state.users.find((u) => u.email === email);
  }

  function actionButton(email) {
    const tr = rows.get(email);
    return tr ? tr.querySelector(".row-actions") : null;
  }

  /** put inserts or replaces a user in email order and redraws its row. */
  function put(user, { replacing, highlight } = {}) {
    const old = replacing || user.email;
    const oldRow = rows.get(old);
    state.users = state.users.filter((u) => u.email !== old && u.email !== user.email);
    if (oldRow) { oldRow.remove(); rows.delete(old); }
    const dupe = rows.get(user.email);
    if (dupe) { dupe.remove(); rows.delete(user.email); }
    let i = state.users.findIndex((u) => u.email > user.email);
    if (i < 0) i = state.users.length;
    state.users.splice(i, 0, user);
    const tr = row(user);
    rows.set(user.email, tr);
    const next = state.users[i + 1];
    els.tbody.insertBefore(tr, next ? rows.get(next.email) : null);
    if (highlight) tr.classList.add("flash");
    updateCount();
  }

  function drop(email) {
    const idx = state.users.findIndex((u) => u.email === email);
    if (idx >= 0) state.users.splice(idx, 1);
    const tr = rows.get(email);
    if (tr) tr.remove();
    rows.delete(email);
    updateCount();
    // Where focus goes after the row is gone: the row that took its place.
    const next = state.users[idx] || state.users[idx - 1];
    return next ? actionButton(next.email) : els.invite;
  }

  async function more() {
    setBusy(els.loadMore, true, "Loading…");
    try {
      const page = await api.listUsers(state.nextCursor, pageSize);
      state.nextCursor = page.nextCursor;
      const before = state.users.length;
      for (const u of page.users) {
        if (!rows.has(u.email)) put(u);
      }
      els.status.textContent = `Loaded ${state.users.length - before} more.`;
      const first = page.users.find((u) => rows.has(u.email));
      updateCount();
      if (!state.nextCursor && first) actionButton(first.email).focus();
    } catch (err) {
      if (err.status !== 401) toast(err.message, { kind: "error" });
    } finally {
      setBusy(els.loadMore, false, "Load more");
    }
  }

  function rowMenu(trigger, email) {
    const u = userOf(email);
    if (!u) return;
    const isMe = u.email === state.me;
    openMenu(trigger, [
      { label: "Edit contact info", icon: "edit", run: () => openContact(u.email) },
      { label: "Edit permissions", icon: "shield", run: () => openPermissions(u.email) },
      {
        label: "Remove user", icon: "trash", danger: true, disabled: isMe,
        hint: isMe ? "You can't remove yourself" : null, run: () => openRemove(u.email),
      },
    ], { label: `Actions for ${displayName(u)}` });
  }

  /**
   * handleWriteError shows what a failed write means in the open form.
   * It returns true if the sheet should close.
   */
  async function handleWriteError(err, form, user, reload) {
    if (err.status === 401) return true;
    if (err.status === 404) {
      drop(user.email);
      toast(`${displayName(user)} is no longer a member of this team.`, { kind: "error" });
      return true;
    }
    if (err.status === 412) {
      // Someone else changed this user: show their version, ask to review.
      try {
        const fresh = await api.getUser(user.email);
        put(fresh);
        reload(fresh);
      } catch { /* the banner below still says what happened */ }
      showBanner(form, "Someone else changed this user while you were editing. The form now shows their latest details; review them and save again.");
      form.querySelector(".form-banner").focus();
      return false;
    }
    showErrors(form, err);
    return false;
  }

  // ----- invite

  function openInvite() {
    const body = h("div", { class: "stack" },
      h("div", { class: "row-2" },
        field({ name: "firstName", label: "First name", autocomplete: "off" }),
        field({ name: "lastName", label: "Last name", autocomplete: "off" })),
      field({ name: "email", label: "Email", type: "email", required: true, hint: "They'll get a welcome email with a link to sign in." }),
      field({ name: "phone", label: "Phone", type: "tel", inputmode: "tel", hint: "Include the country code, such as +1 415 555 0100." }),
      permissionsFieldset(state.tabs, state.tabs.map((t) => t.id)));
    const { close } = sheet({
      title: "Add team member",
      description: "Invite someone to Business App and choose what they can see.",
      submitLabel: "Send", busyLabel: "Sending…", body,
      returnFocus: () => els.invite,
      onSubmit: async (form) => {
        const v = (n) => form.elements[n].value.trim();
        const email = v("email");
        if (!validEmail(email)) {
          showErrors(form, new ApiError(400, "invalid_request", "", { email: email ? "Enter a valid email address, such as ann@example.com." : "Enter the email address of the person to invite." }));
          return false;
        }
        const req = { email, permissions: checkedPermissions(form) };
        for (const n of ["firstName", "lastName", "phone"]) if (v(n)) req[n] = v(n);
        try {
          const user = await api.invite(req);
          put(user, { highlight: true });
          toast(`Invitation sent to ${user.email}`);
          return true;
        } catch (err) {
          if (err.status === 401) return true;
          showErrors(form, err);
          return false;
        }
      },
    });
    closeOpenDialog = close;
  }

  // ----- edit permissions

  function openPermissions(email) {
    let user = userOf(email);
    if (!user) return;
    const isMe = user.email === state.me;
    const locked = isMe ? LOCKOUT_TABS.filter((t) => user.permissions.includes(t)) : [];
    const fieldset = permissionsFieldset(state.tabs, user.permissions, {
      locked,
      lockNote: locked.length ? "You can't remove your own access to Users or Administration. This prevents accidental self-lockout." : null,
    });
    const { close } = sheet({
      title: "Edit permissions",
      description: isMe ? "Choose which tabs you can see." : `Choose which tabs ${displayName(user)} can see. Changes apply on their next request.`,
      submitLabel: "Save", busyLabel: "Saving…",
      headerExtra: userSummary(user, isMe),
      body: fieldset,
      returnFocus: () => actionButton(user.email),
      onSubmit: async (form) => {
        try {
          const updated = await api.setPermissions(user, checkedPermissions(form));
          put(updated);
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
    closeOpenDialog = close;
  }

  function userSummary(u, isMe) {
    return h("div", { class: "user-summary" }, avatar(u),
      h("div", { class: "user-text" },
        h("span", { class: "summary-name" }, displayName(u), isMe ? h("span", { class: "badge", text: "You" }) : null),
        fullName(u) ? h("span", { class: "muted", text: u.email }) : null));
  }

  // ----- edit contact info

  function openContact(email) {
    let user = userOf(email);
    if (!user) return;
    const isMe = user.email === state.me;
    const body = h("div", { class: "stack" },
      h("div", { class: "row-2" },
        field({ name: "firstName", label: "First name", value: user.firstName }),
        field({ name: "lastName", label: "Last name", value: user.lastName })),
      field({
        name: "email", label: "Email", type: "email", required: true, value: user.email,
        hint: isMe ? "This is the address you sign in with." : "Changing it changes the address they sign in with.",
      }),
      field({ name: "phone", label: "Phone", type: "tel", inputmode: "tel", value: user.phone, hint: "Include the country code, such as +1 415 555 0100." }));
    const { close } = sheet({
      title: "Edit contact info",
      description: `Update ${isMe ? "your" : `${displayName(user)}'s`} name, email and phone.`,
      submitLabel: "Save", busyLabel: "Saving…", body,
      headerExtra: userSummary(user, isMe),
      returnFocus: () => actionButton(user.email) || els.invite,
      onSubmit: async (form) => {
        const v = (n) => form.elements[n].value.trim();
        if (!validEmail(v("email"))) {
          showErrors(form, new ApiError(400, "invalid_request", "", { email: "Enter a valid email address, such as ann@example.com." }));
          return false;
        }
        // Send only what changed, so a concurrent edit of another field is
        // not overwritten (If-Match guards the rest).
        const patch = {};
        for (const n of ["firstName", "lastName", "phone"]) if (v(n) !== (user[n] || "")) patch[n] = v(n);
        if (v("email").toLowerCase() !== user.email) patch.email = v("email");
        if (Object.keys(patch).length === 0) return true;
        try {
          const updated = await api.updateContact(user, patch);
          put(updated, { replacing: user.email });
          const old = user.email;
          user = updated;
          if (isMe && updated.email !== old) await followOwnEmail(updated.email);
          toast(`Contact info updated for ${displayName(updated)}`);
          return true;
        } catch (err) {
          return handleWriteError(err, form, user, (fresh) => {
            user = fresh;
            for (const n of ["firstName", "lastName", "email", "phone"]) form.elements[n].value = fresh[n] || "";
          });
        }
      },
    });
    closeOpenDialog = close;
  }

  /** followOwnEmail keeps the caller signed in after changing their own email:
   * the old token names an address that no longer belongs to the team. */
  async function followOwnEmail(email) {
    if (auth.mode === "local") {
      try { await auth.signIn(email); } catch { /* the next request will ask to sign in */ }
    } else {
      await auth.refresh(await auth.token());
    }
    state.me = auth.email();
    renderAccount();
    renderRows();
  }

  // ----- remove

  function openRemove(email) {
    let user = userOf(email);
    if (!user) return;
    const name = displayName(user);
    const cancel = button("Cancel", { class: "btn btn-secondary", onclick: () => close() });
    const confirm = h("button", { type: "button", class: "btn btn-danger", id: "confirm-remove" }, h("span", { text: "Remove user" }));
    const message = h("p", { class: "form-banner", role: "alert", hidden: true });
    const dialog = h("dialog", { class: "modal", role: "alertdialog", "aria-labelledby": "remove-title", "aria-describedby": "remove-desc" },
      h("div", { class: "modal-icon" }, icon("trash")),
      h("h2", { id: "remove-title", text: `Remove ${name}?` }),
      h("div", { id: "remove-desc", class: "modal-text" },
        h("p", {}, h("strong", { text: name }), fullName(user) ? ` (${user.email})` : "",
          " will lose access to this business immediately."),
        h("p", { text: "This can't be undone. To restore their access, invite them again." })),
      message,
      h("div", { class: "modal-actions" }, cancel, confirm));
    let focusAfter = null;
    confirm.addEventListener("click", async () => {
      setBusy(confirm, true, "Removing…");
      message.hidden = true;
      try {
        await api.remove(user);
        focusAfter = drop(user.email);
        toast(`${name} was removed from the team`);
        close();
      } catch (err) {
        setBusy(confirm, false, "Remove user");
        if (err.status === 401) return;
        if (err.status === 404) {
          focusAfter = drop(user.email);
          toast(`${name} had already been removed`);
          close();
          return;
        }
        if (err.status === 412) {
          try { user = await api.getUser(user.email); put(user); } catch { /* message below */ }
          message.textContent = "Someone else changed this user a moment ago. Confirm again to remove them.";
        } else {
          message.textContent = err.message;
        }
        message.hidden = false;
      }
    });
    const close = openDialog(dialog, {
      initialFocus: () => cancel, // the safe choice for a destructive action
      returnFocus: () => focusAfter || actionButton(user.email),
    });
    closeOpenDialog = close;
  }

  return { start };
}

main();
