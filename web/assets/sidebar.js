// The frame every sidebar shares: a modal <dialog> sliding in from the side
// with a title, a form, Cancel and a submit button that shows its work is
// under way. What a sidebar asks and sends lives in its own module
// (sidebar-invite.js, sidebar-permissions.js, sidebar-contact.js).
//
// It never loses work (issue 12): while sending, Cancel aborts the request
// for real and the sidebar then says whether it reached the server;
// closing with unsaved changes asks first; and the form can be kept as a
// draft when the session ends (close.saveDraft), to come back after the
// next sign-in.

import { h, icon, button, setBusy, openDialog } from "./dom.js";
import { clearErrors } from "./forms.js";
import { formValues, fillForm, sameValues, saveDraft, takeDraft } from "./keepwork.js";

/**
 * openSidebar builds and opens a sidebar holding a form. onSubmit(form,
 * signal) does the work, passing signal to its request; it returns true to
 * close the sidebar. afterCancel(), when given, runs after a send was
 * cancelled and returns { message, sent }: what became of it. draft ({
 * kind, email }) and me name the draft this form is kept as. It returns {
 * dialog, form, close }; close.saveDraft() keeps the form as a draft if it
 * is open and changed.
 */
export function openSidebar({ title, description, submitLabel, busyLabel, body, onSubmit, returnFocus, headerExtra, afterCancel, draft, me }) {
  const titleId = "sheet-title", descId = "sheet-desc";
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, h("span", { text: submitLabel }));
  const closeBtn = h("button", { type: "button", class: "icon-btn", "aria-label": "Close", onclick: () => requestClose() && close() }, icon("close"));
  const note = h("p", { class: "note sheet-note", role: "status", tabindex: "-1", hidden: true });
  const keep = button("Keep editing", { class: "btn btn-secondary", id: "keep-editing", onclick: () => hideDiscard(true) });
  const discard = h("div", { class: "discard-prompt", role: "group", "aria-labelledby": "discard-text", hidden: true },
    h("p", { id: "discard-text", class: "discard-text" }, icon("alert"), h("span", { text: "You have unsaved changes. Close and discard them?" })),
    h("div", { class: "discard-actions" }, keep,
      button("Discard changes", { class: "btn btn-danger", id: "discard-changes", onclick: () => close() })));
  const actions = h("div", { class: "sheet-actions" },
    button("Cancel", { class: "btn btn-secondary", id: "sheet-cancel", onclick: () => requestClose() && close() }),
    submit);
  const form = h("form", { class: "sheet-form", novalidate: true },
    h("div", { class: "sheet-body" },
      headerExtra || null,
      note,
      h("div", { class: "form-banner", role: "alert", tabindex: "-1", hidden: true }),
      body),
    h("div", { class: "sheet-footer" }, discard, actions));
  const dialog = h("dialog", { class: "sheet", "aria-labelledby": titleId, "aria-describedby": descId },
    h("div", { class: "sheet-header" },
      h("div", {}, h("h2", { id: titleId, text: title }), h("p", { id: descId, class: "sheet-desc", text: description })),
      closeBtn),
    form);

  let working = false;
  let controller = null;
  let initial = formValues(form);
  const dirty = () => !sameValues(formValues(form), initial);
  const say = (text) => { note.textContent = text; note.hidden = false; };

  function showDiscard() {
    actions.hidden = true;
    discard.hidden = false;
    keep.focus();
  }
  function hideDiscard(refocus) {
    discard.hidden = true;
    actions.hidden = false;
    if (refocus) { const first = form.querySelector("input:not([disabled]):not([readonly])"); if (first) first.focus(); }
  }
  // requestClose says whether the sidebar may close now: not while a send
  // is under way (that is cancelled instead), nor with unsaved changes
  // until the person has said to discard them.
  function requestClose() {
    if (working) { cancelSend(); return false; }
    if (!discard.hidden) { keep.focus(); return false; }
    if (dirty()) { showDiscard(); return false; }
    return true;
  }
  function cancelSend() {
    if (!controller || controller.signal.aborted) return;
    controller.abort();
    say("Cancelling…");
  }
  form.addEventListener("input", () => { if (!discard.hidden) hideDiscard(false); });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (working) return;
    working = true;
    clearErrors(form);
    note.hidden = true;
    hideDiscard(false);
    setBusy(submit, true, busyLabel);
    controller = new AbortController();
    const signal = controller.signal;
    let done = false;
    try {
      done = await onSubmit(form, signal);
    } finally {
      working = false;
      if (!done) setBusy(submit, false, submitLabel);
    }
    // A request that completed before the abort took effect went through:
    // onSubmit has said so, and there is nothing left to keep.
    if (done) { close(); return; }
    if (!signal.aborted) return;
    clearErrors(form);
    say("Cancelled. Checking whether it reached the server…");
    note.focus();
    const outcome = afterCancel ? await afterCancel() : { message: "Cancelled.", sent: false };
    if (!dialog.isConnected) return;
    say(outcome.message);
    // What was sent is saved: the form holds nothing unsaved any more.
    if (outcome.sent) initial = formValues(form);
  });

  const close = openDialog(dialog, {
    returnFocus, beforeClose: requestClose,
    initialFocus: () => form.querySelector("input:not([disabled]):not([readonly])") || form.querySelector("input:not([disabled])"),
  });
  close.saveDraft = () => {
    if (draft && dialog.isConnected && dirty()) saveDraft(draft, me, form);
  };
  // A draft kept when the session ended comes back into the same form.
  const kept = draft ? takeDraft(draft) : null;
  if (kept) {
    fillForm(form, kept.values);
    say("We kept what you had entered before your session ended. Check it, then save.");
  }
  return { dialog, form, close };
}
