// "My profile" (SPEC §2.5): every signed-in user, manager or not, edits
// their own names and phone. Never their own email: it is the address they
// sign in with (the API answers 422 self_lockout), so it is shown
// read-only with the reason. Managers open it from the top bar as a
// sidebar; people without the Users permission get it as the page itself,
// with a short word on why they see no team.

import { h, icon, button, setBusy, toast } from "./dom.js";
import { fullName } from "./format.js";
import { field, clearErrors, showBanner, showErrors } from "./forms.js";
import { openSidebar } from "./sidebar.js";
import { breadcrumb, stateCard } from "./layout.js";

const EMAIL_REASON = "This is the address you sign in with, so you can't change it yourself. If it needs to change, ask a manager of this business.";

function profileFields(me) {
  return h("div", { class: "stack" },
    h("div", { class: "row-2" },
      field({ name: "firstName", label: "First name", value: me.firstName, autocomplete: "given-name" }),
      field({ name: "lastName", label: "Last name", value: me.lastName, autocomplete: "family-name" })),
    field({ name: "email", label: "Email", type: "email", value: me.email, readOnly: true, hint: EMAIL_REASON }),
    field({ name: "phone", label: "Phone", type: "tel", inputmode: "tel", value: me.phone, autocomplete: "tel", hint: "Include the country code, such as +1 415 555 0100." }));
}

/**
 * createSaver returns save(form): it sends what changed of the caller's
 * names and phone (If-Match guards the rest) and returns the saved user,
 * or null after showing why not in form. get() and set(user) hold the user
 * as last read.
 */
function createSaver({ api, get, set }) {
  return async function save(form, signal) {
    const me = get();
    const v = (n) => form.elements[n].value.trim();
    const patch = {};
    for (const n of ["firstName", "lastName", "phone"]) if (v(n) !== (me[n] || "")) patch[n] = v(n);
    if (Object.keys(patch).length === 0) return me;
    try {
      const updated = await api.updateContact(me, patch, { signal });
      set(updated);
      return updated;
    } catch (err) {
      if (err.status === 401 || err.code === "aborted") return null;
      if (err.status === 412) {
        try {
          set(await api.getUser(me.email));
        } catch { /* the banner still says what happened */ }
        showBanner(form, "Your profile changed elsewhere while you were editing (perhaps a manager updated it). Your changes are still in the form: check them and save again.");
        form.querySelector(".form-banner").focus();
        return null;
      }
      showErrors(form, err);
      return null;
    }
  };
}

/**
 * openProfileSidebar reads the caller and opens "My profile" as a sidebar;
 * team (optional) gets the saved user so the caller's row follows.
 */
export async function openProfileSidebar({ api, context, team }) {
  let me;
  try {
    me = await api.getUser(context.me);
  } catch (err) {
    if (err.status !== 401) toast(`We couldn't open your profile. ${err.message}`, { kind: "error" });
    return undefined;
  }
  const save = createSaver({ api, get: () => me, set: (u) => { me = u; if (team && team.userOf(u.email)) team.put(u); } });
  const { close } = openSidebar({
    title: "My profile",
    description: "Your name and phone, as your team sees them.",
    submitLabel: "Save", busyLabel: "Saving…", body: profileFields(me),
    draft: { kind: "profile" }, me: context.me,
    afterCancel: async () => {
      try {
        const fresh = await api.getUser(me.email);
        const sent = fresh.version > me.version;
        me = fresh;
        return sent ? { sent, message: "It was saved anyway: the cancel came too late." } : { sent, message: "Cancelled: nothing was saved. Your changes are still in the form." };
      } catch (err) {
        return { sent: false, message: `Cancelled. We couldn't check whether the change was saved (${err.message}).` };
      }
    },
    onSubmit: async (form, signal) => {
      const saved = await save(form, signal);
      if (saved) toast("Your profile was saved");
      return !!saved;
    },
  });
  return close;
}

/**
 * renderProfilePage fills view with "My profile" for a caller without the
 * Users permission: their form, then why they see no team and who can
 * change that. extra is appended to the explanation (such as "Sign in as
 * someone else").
 */
export async function renderProfilePage(view, { api, context, businessLabel, extra }) {
  const explain = stateCard("lock", "You don't have access to User Management",
    `Only people with the Users permission can see and manage the team of ${businessLabel}. Ask a manager of this business if you need access. You can still keep your own details up to date here.`,
    extra);
  explain.classList.add("state-compact");
  const head = h("div", { class: "page-head" }, h("div", {},
    h("h1", { text: "My profile" }),
    h("p", { class: "page-sub", text: `Your name and phone in ${businessLabel}, as your team sees them.` })));
  const card = h("section", { class: "card profile-card", "aria-labelledby": "profile-title", "aria-busy": "true" },
    h("div", { class: "card-head" }, h("h2", { id: "profile-title", text: "Your details" })),
    h("div", { class: "card-body" }, h("p", { class: "muted", text: "Loading your profile…" })));
  view.replaceChildren(breadcrumb("My profile"), head, card, explain);
  let me;
  try {
    me = await api.getUser(context.me);
  } catch (err) {
    if (err.status === 401) return;
    card.querySelector(".card-body").replaceChildren(h("p", { class: "form-banner", role: "alert" }, icon("alert"), h("span", { text: `We couldn't load your profile. ${err.message}` })));
    card.setAttribute("aria-busy", "false");
    return;
  }
  const save = createSaver({ api, get: () => me, set: (u) => { me = u; } });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, h("span", { text: "Save" }));
  const form = h("form", { class: "profile-form", novalidate: true, "aria-labelledby": "profile-title" },
    h("div", { class: "form-banner", role: "alert", tabindex: "-1", hidden: true }),
    profileFields(me),
    h("div", { class: "form-actions" }, submit));
  let working = false;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (working) return;
    working = true;
    clearErrors(form);
    setBusy(submit, true, "Saving…");
    try {
      const saved = await save(form);
      if (saved) toast(`Your profile was saved${fullName(saved) ? `: ${fullName(saved)}` : ""}`);
    } finally {
      working = false;
      setBusy(submit, false, "Save");
    }
  });
  card.querySelector(".card-body").replaceChildren(form);
  card.setAttribute("aria-busy", "false");
}

/** profileButton is the top bar's "My profile" for signed-in callers. */
export function profileButton(onclick) {
  return button("My profile", { class: "btn btn-ghost btn-sm profile-btn", id: "my-profile", onclick }, "user");
}
