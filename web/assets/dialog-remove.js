// The "Remove …?" confirmation: a modal alert dialog that removes a team
// member only after an explicit second click, with Cancel focused first.

import { h, icon, button, setBusy, openDialog, toast } from "./dom.js";
import { fullName, displayName } from "./format.js";

/**
 * openRemoveDialog asks to confirm removing the member with this email and
 * returns the dialog's close(), or nothing if the table no longer holds them.
 */
export function openRemoveDialog(email, { api, team }) {
  let user = team.userOf(email);
  if (!user) return undefined;
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
      focusAfter = team.drop(user.email);
      toast(`${name} was removed from the team`);
      close();
    } catch (err) {
      setBusy(confirm, false, "Remove user");
      if (err.status === 401) return;
      if (err.status === 404) {
        focusAfter = team.drop(user.email);
        toast(`${name} had already been removed`);
        close();
        return;
      }
      if (err.status === 412) {
        try { user = await api.getUser(user.email); team.put(user); } catch { /* message below */ }
        message.textContent = "Someone else changed this user a moment ago. Confirm again to remove them.";
      } else {
        message.textContent = err.message;
      }
      message.hidden = false;
    }
  });
  const close = openDialog(dialog, {
    initialFocus: () => cancel, // the safe choice for a destructive action
    returnFocus: () => focusAfter || team.actionButton(user.email),
  });
  return close;
}
