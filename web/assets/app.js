// Administration > User Management (SPEC §2): the page's entry. It loads
// config.json, reads the business from the path, signs in, loads the team
// and puts the page together from its modules: the table (table.js, row.js),
// the sidebars (sidebar-*.js), the remove confirmation (dialog-remove.js),
// the account area (account.js) and the local sign-in (signin.js). Plain ES
// modules, no build step; see web/README.md.

import { button, closeMenus } from "./dom.js";
import { createApi } from "./api.js";
import { createAuth } from "./auth.js";
import { breadcrumb, pageHead, stateCard } from "./layout.js";
import { createAccountArea } from "./account.js";
import { renderSignIn } from "./signin.js";
import { createTeamTable } from "./table.js";
import { createWriteErrorHandler } from "./write-errors.js";
import { openInviteSidebar } from "./sidebar-invite.js";
import { openPermissionsSidebar } from "./sidebar-permissions.js";
import { openContactSidebar } from "./sidebar-contact.js";
import { openRemoveDialog } from "./dialog-remove.js";
import { createBulkActions } from "./bulk-actions.js";
import { openResendDialog } from "./dialog-resend.js";
import { openTransferDialog } from "./dialog-transfer.js";
import { createHistoryFeed, openHistoryPanel } from "./history.js";
import { attachTabs } from "./tabs.js";
import { openProfileSidebar, renderProfilePage } from "./profile.js";
import { peekDraft } from "./keepwork.js";

const PAGE_PATH = /^\/([^/]+)\/administration\/users\/?$/;
const DEFAULT_PAGE_SIZE = 50;

async function main() {
  const view = document.getElementById("view");
  let config;
  try {
    // config.json sits at the site root, next to the assets folder, so the
    // same files work wherever they are hosted.
    // Not "no-store": index.html preloads it, and the preload is used only
    // by a request it matches. It is served with Cache-Control: no-cache,
    // so a changed config still shows on the next load.
    const resp = await fetch(new URL("../config.json", import.meta.url));
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

/**
 * createPage wires the page's parts together for one business. What they
 * share is passed to each explicitly: the API client, the team table, and
 * context, which holds the caller's email (me) and the business's enabled
 * tabs once the team has loaded.
 */
function createPage(config, businessId) {
  const view = document.getElementById("view");
  const auth = createAuth(config);
  const api = createApi({ baseUrl: config.apiBaseUrl || "", businessId, auth, onUnauthenticated });
  const context = { me: "", tabs: [], businessName: "", ownerEmail: "" };
  // Users per request: the API takes 1–100 (SPEC §4).
  const pageSize = Math.min(100, Math.max(1, Math.trunc(Number(config.pageSize)) || DEFAULT_PAGE_SIZE));
  // The sidebar or dialog now open, if any, so an ended session can close it.
  let closeOpenDialog = null;
  const track = (close) => { if (close) closeOpenDialog = close; };

  const account = createAccountArea({
    element: document.getElementById("account"), auth, onSignOut: () => showSignIn(),
    onProfile: () => openProfile(),
  });
  const openProfile = () => openProfileSidebar({ api, context, team }).then(track);
  const openInvite = () => track(openInviteSidebar({ api, context, team }));
  const bulk = createBulkActions({ api, context, view, businessId, team: () => team, track });
  const team = createTeamTable({
    view, businessId, api, pageSize, context, headActions: bulk.buttons,
    onInvite: () => openInvite(),
    rowActions: {
      editContact: (email) => track(openContactSidebar(email, { api, context, team, handleWriteError })),
      editPermissions: (email) => track(openPermissionsSidebar(email, { api, context, team, handleWriteError })),
      remove: (email) => track(openRemoveDialog(email, { api, team })),
      history: (email) => track(openHistoryPanel(email, { api, team, context })),
      resend: (email) => track(openResendDialog(email, { api, team, context })),
      transfer: (email) => track(openTransferDialog(email, { api, team, context, onTransferred })),
      callerIsOwner: () => !!context.me && (context.ownerEmail
        ? context.ownerEmail === context.me
        : !!(team.userOf(context.me) || {}).isOwner),
    },
  });
  const tabName = (id) => (context.tabs.find((t) => t.id === id) || { name: id }).name;
  const handleWriteError = createWriteErrorHandler({ api, team });

  showBusinessName(businessId);

  /**
   * showBusinessName puts the business in the top bar and the window title:
   * its id until GET /v1/businesses/{id} has answered, then its name, which
   * is what its people call it (the welcome email names it the same way).
   */
  function showBusinessName(name) {
    document.getElementById("business").textContent = name;
    document.title = `User Management · ${name} · Business App`;
  }

  /** businessLabel is how messages name the business. */
  function businessLabel() {
    return context.businessName || businessId;
  }

  function start() {
    if (!auth.signedIn()) return showSignIn();
    load();
  }

  function showSignIn(notice) {
    account.clear();
    renderSignIn(view, { auth, suggestedEmail: config.local && config.local.suggestedEmail, notice, onSignedIn: load });
  }

  function onUnauthenticated() {
    // A form open when the session ended is kept, to come back after the
    // next sign-in (issue 12: a draft survives an expired session).
    if (closeOpenDialog && closeOpenDialog.saveDraft) closeOpenDialog.saveDraft();
    if (closeOpenDialog) closeOpenDialog();
    closeMenus();
    auth.signOut();
    if (auth.mode === "local") showSignIn("Your session has ended. Sign in again to continue.");
    else {
      account.render();
      view.replaceChildren(stateCard("lock", "Your session has ended", "Sign in to Business App again, then reopen this page.",
        button("Try again", { class: "btn btn-secondary", onclick: () => load() }, "refresh")));
    }
  }

  async function load() {
    context.me = auth.email();
    account.render();
    team.render();
    const history = createHistoryFeed({ api, nameOf: team.nameOf, tabName });
    attachTabs(view, { historyElement: history.element, onShowHistory: () => history.load() });
    team.setLoading(true);
    // The business only names the page: if it fails, the page still works
    // and shows the id, so it is asked for alongside, not before.
    const [tabs, users, business] = await Promise.allSettled([api.listTabs(), team.firstPage(), api.getBusiness()]);
    context.me = auth.email(); // in host mode known once the first token arrived
    account.render();
    if (business.status === "fulfilled" && business.value && business.value.name) {
      context.businessName = business.value.name;
      context.ownerEmail = business.value.owner ? business.value.owner.email : "";
      showBusinessName(business.value.name);
    }
    if (users.status === "rejected") {
      const err = users.reason;
      if (err.status === 401) return; // onUnauthenticated showed sign-in
      if (err.code === "invitation_expired") return renderInvitationExpired();
      if (err.status === 403) return renderNoAccess(tabs.status === "rejected" && tabs.reason.status === 403);
      return renderLoadError(err);
    }
    if (tabs.status === "rejected") {
      if (tabs.reason.status === 401) return;
      return renderLoadError(tabs.reason);
    }
    context.tabs = tabs.value;
    team.showUsers(users.value);
    restoreDraft();
  }

  // restoreDraft reopens the form whose draft was kept when the session
  // ended; the sidebar fills it in (sidebar.js) and says so.
  function restoreDraft() {
    const draft = peekDraft(context.me);
    if (!draft) return;
    if (draft.kind === "invite") openInvite();
    else if (draft.kind === "profile") openProfile();
    else if (draft.kind === "contact") team.userOf(draft.email) && track(openContactSidebar(draft.email, { api, context, team, handleWriteError }));
    else if (draft.kind === "permissions") team.userOf(draft.email) && track(openPermissionsSidebar(draft.email, { api, context, team, handleWriteError }));
  }

  // After a hand-over the caller is no longer the owner: their own row
  // loses its badge (read again, as the answer names only the new owner).
  async function onTransferred(owner) {
    const previous = context.ownerEmail;
    context.ownerEmail = owner.email;
    if (!previous || !team.userOf(previous)) return;
    try { team.put(await api.getUser(previous)); } catch { /* the next load shows it */ }
  }

  // A member without the Users permission gets their own profile, which
  // they may edit (SPEC §2.5), with a word on why there is no team.
  function renderNoAccess(notMember) {
    if (!notMember) {
      return renderProfilePage(view, { api, context, businessLabel: businessLabel(), extra: signInAsSomeoneElse() });
    }
    view.replaceChildren(breadcrumb(), pageHead(), stateCard("lock",
      notMember ? "You don't have access to this business" : "You don't have access to User Management",
      notMember
        ? `${context.me || "Your account"} is not a member of ${businessLabel()}. Ask one of its managers to invite you.`
        : `Only people with the Users permission can see and manage the team of ${businessLabel()}. Ask a manager of this business to give you access.`,
      signInAsSomeoneElse()));
  }

  // SPEC §4: an invitee whose invitation has passed its expiry is refused
  // (403 invitation_expired) until a manager resends it; say so, rather
  // than "no access", which would send them asking for the wrong thing.
  function renderInvitationExpired() {
    view.replaceChildren(breadcrumb(), pageHead(), stateCard("lock", "Your invitation has expired",
      `The invitation for ${context.me || "your account"} to join ${businessLabel()} is no longer valid. Ask a manager of this business to resend it.`,
      signInAsSomeoneElse()));
  }

  function signInAsSomeoneElse() {
    return auth.canSignOut ? button("Sign in as someone else", { class: "btn btn-secondary", onclick: () => { auth.signOut(); showSignIn(); } }, "logout") : null;
  }

  function renderLoadError(err) {
    view.replaceChildren(breadcrumb(), pageHead(), stateCard("alert", "We couldn't load your team", err.message,
      button("Try again", { class: "btn btn-secondary", onclick: () => load() }, "refresh")));
  }

  return { start };
}

main();
