// The permission checklist of the invite and permissions sidebars: a
// checkbox per tab the business has enabled, "Select all"/"Clear all", and
// the boxes a manager may not untick on their own row (SPEC I2).

import { h, icon, button } from "./dom.js";

// Tabs a manager can never take from themselves (SPEC I2).
export const LOCKOUT_TABS = ["users", "administration"];

/** permissionsFieldset lists a checkbox per enabled tab. */
export function permissionsFieldset(tabs, checked, { locked = [], lockNote } = {}) {
  const boxes = tabs.map((t) => {
    const isLocked = locked.includes(t.id);
    return h("label", { class: "check" + (isLocked ? " locked" : "") },
      h("input", {
        type: "checkbox", name: "permissions", value: t.id, checked: checked.includes(t.id),
        disabled: isLocked, "aria-describedby": isLocked ? "lockout-note" : null,
      }),
      h("span", { class: "check-box", "aria-hidden": "true" }, icon("check")),
      h("span", { class: "check-label", text: t.name }),
      isLocked ? icon("lock") : null);
  });
  const all = () => [...fieldset.querySelectorAll('input[name="permissions"]:not([disabled])')];
  const toggle = button("Select all", {
    class: "btn btn-link", onclick: () => {
      const on = !all().every((b) => b.checked);
      for (const b of all()) b.checked = on;
      sync();
    },
  });
  const sync = () => { toggle.querySelector("span").textContent = all().every((b) => b.checked) ? "Clear all" : "Select all"; };
  const fieldset = h("fieldset", { class: "perms", "data-field": "permissions", onchange: sync },
    h("legend", {}, "Permissions"),
    h("div", { class: "perms-head" },
      h("p", { class: "hint", text: "Choose which tabs this person can see in Business App." }), toggle),
    h("div", { class: "check-grid" }, boxes),
    lockNote ? h("p", { class: "note", id: "lockout-note" }, icon("info"), h("span", { text: lockNote })) : null,
    h("p", { class: "field-error", id: "f-permissions-error", hidden: true }));
  sync();
  return fieldset;
}

export function checkedPermissions(form) {
  // Disabled (locked) boxes are read too: they are kept as they are.
  return [...form.querySelectorAll('input[name="permissions"]')].filter((b) => b.checked).map((b) => b.value);
}
