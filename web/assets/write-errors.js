// What a failed change to an existing user means in the sidebar that sent
// it. The permissions and contact sidebars share this, so a user removed or
// changed by someone else is handled the same way in both.

import { toast } from "./dom.js";
import { displayName } from "./format.js";
import { showBanner, showErrors } from "./forms.js";

/**
 * createWriteErrorHandler returns handleWriteError(err, form, user, reload),
 * which shows err in form and returns true if the sidebar should close.
 * reload(fresh) puts another editor's newer version of user into the form.
 */
export function createWriteErrorHandler({ api, team }) {
  return async function handleWriteError(err, form, user, reload) {
    if (err.status === 401) return true;
    if (err.status === 404) {
      team.drop(user.email);
      toast(`${displayName(user)} is no longer a member of this team.`, { kind: "error" });
      return true;
    }
    if (err.status === 412) {
      // Someone else changed this user: show their version, ask to review.
      try {
        const fresh = await api.getUser(user.email);
        team.put(fresh);
        reload(fresh);
      } catch { /* the banner below still says what happened */ }
      showBanner(form, "Someone else changed this user while you were editing. The form now shows their latest details; review them and save again.");
      form.querySelector(".form-banner").focus();
      return false;
    }
    showErrors(form, err);
    return false;
  };
}
