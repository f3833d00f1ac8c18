// The local stack's sign-in screen (tokenMode "local", web/README.md): one
// click for the seeded manager, or any email, and no password. Deployed
// pages get their token from the host and never show it.

import { h, icon, setBusy } from "./dom.js";
import { avatar } from "./format.js";
import { validEmail } from "./forms.js";

/**
 * renderSignIn replaces view with the sign-in screen. notice, if given, says
 * why it is shown again; onSignedIn runs once auth holds a token.
 */
export function renderSignIn(view, { auth, suggestedEmail, notice, onSignedIn }) {
  const suggested = suggestedEmail || "";
  const input = h("input", { id: "signin-email", name: "email", type: "email", autocomplete: "email", required: true, "aria-describedby": "signin-error", spellcheck: "false" });
  const error = h("p", { class: "field-error", id: "signin-error", hidden: true });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, h("span", { text: "Sign in" }));
  const signIn = async (email, btn) => {
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    setBusy(btn, true);
    try {
      await auth.signIn(email);
      onSignedIn();
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
