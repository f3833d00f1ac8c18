// The pieces every form on the page shares: a labelled field with its hint
// and error slot, the email check done before asking the API, and putting the
// API's errors next to the fields they are about.

import { h, icon } from "./dom.js";

/**
 * field builds a labelled input with its hint and error slot. A readOnly
 * field shows a value the person may not change (and the hint should say
 * why): it stays focusable, so keyboard and screen-reader users reach the
 * value and its explanation, which a disabled input would skip; it is
 * marked neither required nor optional, as there is nothing to fill in.
 */
export function field({ name, label, type = "text", value = "", required, hint, autocomplete, inputmode, readOnly }) {
  const id = `f-${name}`;
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  required = required && !readOnly;
  const input = h("input", {
    id, name, type, value: value || "", autocomplete: autocomplete || "off", inputmode,
    required: !!required, "aria-required": required ? "true" : null, "aria-describedby": describedBy,
    spellcheck: type === "email" ? "false" : null, readOnly: !!readOnly,
  });
  const marker = readOnly ? null
    : required ? h("span", { class: "req", "aria-hidden": "true", text: " *" }) : h("span", { class: "optional", text: " (optional)" });
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label, marker),
    input,
    hint ? h("p", { class: "hint", id: `${id}-hint`, text: hint }) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }));
}

export function validEmail(s) {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll(".field-error")) { p.hidden = true; p.textContent = ""; }
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const banner = form.querySelector(".form-banner");
  banner.hidden = true;
  banner.replaceChildren();
}

export function showBanner(form, message) {
  const banner = form.querySelector(".form-banner");
  banner.replaceChildren(icon("alert"), h("span", { text: message }));
  banner.hidden = false;
}

/**
 * showErrors puts the API's field errors on their fields (and anything it
 * cannot place in the banner) and moves focus to the first problem.
 */
export function showErrors(form, err) {
  clearErrors(form);
  const fields = { ...err.fields };
  if (err.code === "user_exists" && !fields.email) fields.email = err.message;
  let first = null;
  const unplaced = [];
  for (const [name, message] of Object.entries(fields)) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) { unplaced.push(message); continue; }
    const p = wrap.querySelector(".field-error");
    p.replaceChildren(icon("alert"), h("span", { text: message }));
    p.hidden = false;
    const control = wrap.querySelector("input:not([disabled])");
    if (control && control.type !== "checkbox") control.setAttribute("aria-invalid", "true");
    if (!first) first = control || wrap;
  }
  if (unplaced.length || !Object.keys(fields).length) {
    showBanner(form, unplaced.length ? unplaced.join(" ") : err.message);
    if (!first) first = form.querySelector(".form-banner");
  }
  if (first) {
    if (first.tabIndex < 0 && !first.matches("input")) first.tabIndex = -1;
    first.focus();
  }
}
