// A confirmation before an action that sends email or changes who is in
// charge: a modal dialog naming what will happen, Cancel focused first, and
// the outcome (or the reason it failed) shown in place.

import { h, icon, button, setBusy, openDialog } from "./dom.js";

/**
 * openConfirm shows the dialog and returns its close(). onConfirm(say)
 * does the work; it returns true to close the dialog, or calls say(text)
 * to show why not and returns false. id names the confirm button (for
 * people using find-in-page and for tests), iconName the dialog's icon.
 */
export function openConfirm({ id, title, text, confirmLabel, busyLabel, iconName = "info", danger = false, onConfirm, returnFocus }) {
  const titleId = `${id}-title`, descId = `${id}-desc`;
  const cancel = button("Cancel", { class: "btn btn-secondary", onclick: () => close() });
  const confirm = h("button", { type: "button", class: danger ? "btn btn-danger" : "btn btn-primary", id }, h("span", { text: confirmLabel }));
  const message = h("p", { class: "form-banner", role: "alert", hidden: true });
  const dialog = h("dialog", { class: "modal", role: "alertdialog", "aria-labelledby": titleId, "aria-describedby": descId },
    h("div", { class: `modal-icon ${danger ? "" : "modal-icon-info"}` }, icon(iconName)),
    h("h2", { id: titleId, text: title }),
    h("div", { id: descId, class: "modal-text" }, text),
    message,
    h("div", { class: "modal-actions" }, cancel, confirm));
  const say = (m) => { message.textContent = m; message.hidden = false; };
  let working = false;
  confirm.addEventListener("click", async () => {
    if (working) return;
    working = true;
    setBusy(confirm, true, busyLabel);
    message.hidden = true;
    let done = false;
    try {
      done = await onConfirm(say);
    } finally {
      working = false;
      if (!done) setBusy(confirm, false, confirmLabel);
    }
    if (done) close();
  });
  const close = openDialog(dialog, { initialFocus: () => cancel, returnFocus });
  return close;
}

/**
 * retryText says when a rate-limited action can be tried again, from the
 * 429's Retry-After in seconds: "in 5 minutes (at 11:42)".
 */
export function retryText(seconds, now = Date.now()) {
  if (seconds === null || seconds === undefined) return "in a few minutes";
  const at = new Date(now + seconds * 1000).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  if (seconds < 60) return `in ${Math.max(1, Math.ceil(seconds))} seconds (at ${at})`;
  const min = Math.ceil(seconds / 60);
  if (min < 120) return `in ${min} minute${min === 1 ? "" : "s"} (at ${at})`;
  return `at ${at}`;
}
