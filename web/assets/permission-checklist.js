// The permission checklist of the invite and permissions sidebars, role
// first: a preset ("Full access", "Standard", "Custom") sets the boxes,
// then a checkbox per tab the business has enabled, with Users and
// Administration apart under "Management access" and what they grant; the
// boxes a manager may not untick on their own row (SPEC I2); and a warning
// before saving someone with no tab at all.

import { h, icon } from "./dom.js";

// Tabs a manager can never take from themselves (SPEC I2).
export const LOCKOUT_TABS = ["users", "administration"];

// The tabs that make someone able to run the business rather than use it.
const MANAGEMENT_TABS = ["users", "administration"];

const PRESETS = [
  { id: "full", label: "Full access", hint: "Every tab, management included." },
  { id: "standard", label: "Standard", hint: "Every tab but Users and Administration." },
  { id: "custom", label: "Custom", hint: "The tabs you pick below." },
];

/**
 * permissionsFieldset lists the presets and a checkbox per enabled tab,
 * checked as in checked. locked boxes stay as they are (lockNote says
 * why); a preset that would change them is disabled.
 */
export function permissionsFieldset(tabs, checked, { locked = [], lockNote } = {}) {
  const box = (t) => {
    const isLocked = locked.includes(t.id);
    return h("label", { class: "check" + (isLocked ? " locked" : "") },
      h("input", {
        type: "checkbox", name: "permissions", value: t.id, checked: checked.includes(t.id),
        disabled: isLocked, "aria-describedby": isLocked ? "lockout-note" : null,
      }),
      h("span", { class: "check-box", "aria-hidden": "true" }, icon("check")),
      h("span", { class: "check-label", text: t.name }),
      isLocked ? icon("lock") : null);
  };
  const everyday = tabs.filter((t) => !MANAGEMENT_TABS.includes(t.id));
  const management = tabs.filter((t) => MANAGEMENT_TABS.includes(t.id));
  const want = {
    full: () => tabs.map((t) => t.id),
    standard: () => everyday.map((t) => t.id),
  };
  const boxes = () => [...fieldset.querySelectorAll('input[name="permissions"]')];
  const radios = PRESETS.map((p) => {
    // A preset that would untick a locked box cannot be had.
    const blocked = p.id === "standard" && locked.some((id) => MANAGEMENT_TABS.includes(id));
    return h("label", { class: "preset" + (blocked ? " locked" : "") },
      h("input", {
        type: "radio", name: "preset", value: p.id, disabled: blocked,
        "aria-describedby": [`preset-${p.id}-hint`, blocked ? "lockout-note" : null].filter(Boolean).join(" "),
      }),
      h("span", { class: "preset-text" },
        h("span", { class: "preset-label", text: p.label }),
        h("span", { class: "hint", id: `preset-${p.id}-hint`, text: p.hint })));
  });
  const presetOf = () => {
    const on = boxes().filter((b) => b.checked).map((b) => b.value).sort().join();
    if (on === want.full().sort().join()) return "full";
    if (on === want.standard().sort().join()) return "standard";
    return "custom";
  };
  const sync = () => {
    const p = presetOf();
    for (const r of fieldset.querySelectorAll('input[name="preset"]')) r.checked = r.value === p;
    const warning = fieldset.querySelector(".zero-warning");
    if (warning && boxes().some((b) => b.checked)) { warning.hidden = true; fieldset.dataset.zeroConfirmed = ""; }
  };
  const apply = (preset) => {
    if (!want[preset]) return; // Custom keeps the boxes as they are
    const ids = want[preset]();
    for (const b of boxes()) if (!b.disabled) b.checked = ids.includes(b.value);
    sync();
  };
  const fieldset = h("fieldset", { class: "perms", "data-field": "permissions" },
    h("legend", {}, "Permissions"),
    h("fieldset", { class: "presets" },
      h("legend", { class: "sub-legend", text: "Access" }),
      h("div", { class: "preset-grid" }, radios)),
    h("fieldset", { class: "tab-group" },
      h("legend", { class: "sub-legend", text: "Tabs" }),
      h("div", { class: "check-grid" }, everyday.map(box))),
    management.length ? h("fieldset", { class: "tab-group management" },
      h("legend", { class: "sub-legend", text: "Management access" }),
      h("p", { class: "hint", id: "management-hint", text: "Users lets them see this page and invite, edit and remove people, including other managers. Administration opens the business's settings." }),
      h("div", { class: "check-grid" }, management.map(box))) : null,
    lockNote ? h("p", { class: "note", id: "lockout-note" }, icon("info"), h("span", { text: lockNote })) : null,
    h("p", { class: "zero-warning note warn", role: "alert", hidden: true }, icon("alert"),
      h("span", { text: "No tabs are selected, so this person won't see anything in Business App. Choose at least one tab, or save again to confirm." })),
    h("p", { class: "field-error", id: "f-permissions-error", hidden: true }));
  fieldset.addEventListener("change", (e) => {
    if (e.target.name === "preset") apply(e.target.value);
    else sync();
  });
  sync();
  return fieldset;
}

export function checkedPermissions(form) {
  // Disabled (locked) boxes are read too: they are kept as they are.
  return [...form.querySelectorAll('input[name="permissions"]')].filter((b) => b.checked).map((b) => b.value);
}

/**
 * confirmZeroTabs returns true when the form may be sent: some tab is
 * checked, or the warning about none has been shown and the person saves
 * again. The first time none is checked it shows the warning, moves focus
 * there and returns false.
 */
export function confirmZeroTabs(form) {
  if (checkedPermissions(form).length > 0) return true;
  const fieldset = form.querySelector("fieldset.perms");
  if (fieldset.dataset.zeroConfirmed === "yes") return true;
  const warning = fieldset.querySelector(".zero-warning");
  warning.hidden = false;
  warning.tabIndex = -1;
  warning.focus();
  fieldset.dataset.zeroConfirmed = "yes";
  return false;
}
