// The frame every sidebar shares: a modal <dialog> sliding in from the side
// with a title, a form, Cancel and a submit button that shows its work is
// under way. What a sidebar asks and sends lives in its own module
// (sidebar-invite.js, sidebar-permissions.js, sidebar-contact.js).

import { h, icon, button, setBusy, openDialog } from "./dom.js";
import { clearErrors } from "./forms.js";

/**
 * openSidebar builds and opens a sidebar holding a form. onSubmit(form) does
 * the work; it returns true to close the sidebar.
 */
export function openSidebar({ title, description, submitLabel, busyLabel, body, onSubmit, returnFocus, headerExtra }) {
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
