// What a failed change to an existing user means in the sidebar that sent
// it. The permissions and contact sidebars share this, so a user removed or
// changed by someone else is handled the same way in both.

import { toast } from "./dom.js";
import { displayName } from "./format.js";
import { showBanner, showErrors, clearErrors } from "./forms.js";
import { conflictNote } from "./keepwork.js";

/**
 * createWriteErrorHandler returns handleWriteError(err, form, user,
 * reload, merge), which shows err in form and returns true if the sidebar
 * should close. On a 412 (someone else changed the user first) nothing the
 * person typed is lost: merge(fresh) puts the other editor's newer version
 * under the person's own edits in the form and returns rows ({ label,
 * theirs, yours }) of what changed on the server, which are shown next to
 * what was typed, with "Save mine on top" and "Use theirs";
 * reload(fresh) (for "Use theirs") puts the server's version in the form.
 */
export function createWriteErrorHandler({ api, team }) {
  return async function handleWriteError(err, form, user, reload, merge) {
    if (err.status === 401 || err.code === "aborted") return err.status === 401;
    if (err.status === 404) {
      team.drop(user.email);
      toast(`${displayName(user)} is no longer a member of this team.`, { kind: "error" });
      return true;
    }
    if (err.status === 412) {
      let rows = [];
      let fresh = null;
      try {
        fresh = await api.getUser(user.email);
        team.put(fresh);
        rows = merge(fresh);
      } catch { /* the banner below still says what happened */ }
      showBanner(form, "Someone else changed this user while you were editing. The form now shows their latest details with your changes on top: compare them below, then save again.");
      const old = form.querySelector(".conflict");
      if (old) old.remove();
      if (fresh && rows.length) {
        const note = conflictNote(rows, {
          onMine: () => form.requestSubmit(),
          onTheirs: () => { reload(fresh); note.remove(); clearErrors(form); },
        });
        form.querySelector(".form-banner").after(note);
      }
      form.querySelector(".form-banner").focus();
      return false;
    }
    showErrors(form, err);
    return false;
  };
}