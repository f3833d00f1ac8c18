// Forms that never lose work (issue 12): what a form holds now compared
// with what it held when it opened (so closing asks first), drafts kept in
// sessionStorage across an ended session, and the comparison a 412 shows
// between what changed on the server and what the person typed.

import { h, button } from "./dom.js";

const DRAFT_KEY = "businessapp.usermanagement.draft";

/**
 * formValues reads a form's fields: text inputs by name, and for
 * checkboxes the list of checked values by name. Read-only and radio
 * inputs are left out (they hold nothing the person typed).
 */
export function formValues(form) {
  const out = {};
  for (const el of form.querySelectorAll("input[name]")) {
    if (el.type === "radio" || el.readOnly) continue;
    if (el.type === "checkbox") {
      out[el.name] = out[el.name] || [];
      if (el.checked) out[el.name].push(el.value);
    } else {
      out[el.name] = el.value;
    }
  }
  return out;
}

/** fillForm puts values (as formValues reads them) back into form. */
export function fillForm(form, values) {
  for (const el of form.querySelectorAll("input[name]")) {
    if (!(el.name in values) || el.readOnly || el.type === "radio") continue;
    if (el.type === "checkbox") { if (!el.disabled) el.checked = values[el.name].includes(el.value); }
    else el.value = values[el.name];
  }
  // Let dependants (the presets of the permission checklist) catch up.
  const any = form.querySelector('input[type="checkbox"]');
  if (any) any.dispatchEvent(new Event("change", { bubbles: true }));
}

/** sameValues reports whether two formValues results hold the same. */
export function sameValues(a, b) {
  const norm = (v) => JSON.stringify(Object.keys(v).sort().map((k) => [k, Array.isArray(v[k]) ? [...v[k]].sort() : String(v[k]).trim()]));
  return norm(a) === norm(b);
}

/**
 * saveDraft keeps what form holds for key ({ kind, email }) and the
 * signed-in person me, so that it can be restored after they sign in
 * again. One draft at a time: the one open when the session ended.
 */
export function saveDraft(key, me, form) {
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ ...key, me, values: formValues(form), at: Date.now() }));
  } catch { /* storage full or blocked: nothing to keep it in */ }
}

/**
 * peekDraft returns the kept draft of me, if any, without taking it; a
 * draft of someone else is dropped (it is not theirs to see).
 */
export function peekDraft(me) {
  let d = null;
  try { d = JSON.parse(sessionStorage.getItem(DRAFT_KEY)); } catch { d = null; }
  if (d && d.me !== me) { sessionStorage.removeItem(DRAFT_KEY); return null; }
  return d;
}

/** takeDraft returns and forgets the draft for key ({ kind, email }), if any. */
export function takeDraft(key) {
  let d = null;
  try { d = JSON.parse(sessionStorage.getItem(DRAFT_KEY)); } catch { d = null; }
  if (!d || d.kind !== key.kind || (d.email || "") !== (key.email || "")) return null;
  sessionStorage.removeItem(DRAFT_KEY);
  return d;
}

/**
 * conflictNote shows a 412's outcome: rows of { label, theirs, yours,
 * kept } (kept: "yours" or "theirs"), what each field holds now on the
 * server next to what the person typed. onMine saves theirs-then-mine;
 * onTheirs drops the person's edits for the server's.
 */
export function conflictNote(rows, { onMine, onTheirs }) {
  const table = h("table", { class: "conflict-table" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", text: "Field" }), h("th", { scope: "col", text: "Now on the server" }), h("th", { scope: "col", text: "What you typed" }))),
    h("tbody", {}, rows.map((r) => h("tr", {},
      h("th", { scope: "row", text: r.label }),
      h("td", { text: r.theirs || "—" }),
      h("td", {}, r.yours === null ? h("span", { class: "muted", text: "(not changed by you)" }) : (r.yours || "—"))))));
  return h("div", { class: "conflict", role: "group", "aria-label": "Their changes and yours" },
    h("p", { class: "hint", text: "\u201cSave mine on top\u201d keeps their changes and applies yours over them; \u201cUse theirs\u201d drops yours." }),
    table,
    h("div", { class: "conflict-actions" },
      button("Save mine on top", { class: "btn btn-primary btn-sm", id: "conflict-mine", onclick: onMine }),
      button("Use theirs", { class: "btn btn-secondary btn-sm", id: "conflict-theirs", onclick: onTheirs })));
}
