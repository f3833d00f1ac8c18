// The account area at the right of the top bar: who is signed in and, where
// the page signs people in itself, "Sign out".

import { h, icon } from "./dom.js";
import { avatar } from "./format.js";
import { profileButton } from "./profile.js";

/**
 * createAccountArea draws into element; onSignOut runs after auth.signOut(),
 * onProfile (optional) when "My profile" is chosen.
 */
export function createAccountArea({ element, auth, onSignOut, onProfile }) {
  function clear() {
    element.replaceChildren();
  }

  /** render shows the signed-in email, or nothing while none is known. */
  function render() {
    const email = auth.email();
    clear();
    if (!email) return;
    element.append(h("div", { class: "account" },
      avatar({ email, firstName: null, lastName: null }, "sm"),
      h("span", { class: "account-email", text: email }),
      onProfile ? profileButton(onProfile) : null,
      auth.canSignOut ? h("button", {
        type: "button", class: "btn btn-ghost btn-sm", id: "sign-out", onclick: () => { auth.signOut(); onSignOut(); },
      }, icon("logout"), h("span", { text: "Sign out" })) : null));
  }

  return { render, clear };
}
