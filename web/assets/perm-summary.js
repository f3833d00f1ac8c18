// The table's permission cell: one line at any width. One tab is named; more
// become a count ("3 tabs", "All 8 tabs") that opens the full list in place,
// by click, tap, Enter or Space (a <details>), not only on hover.

import { h } from "./dom.js";

/** permissionCell summarises user u's tabs among the business's tabs. */
export function permissionCell(u, tabs) {
  const names = tabs.filter((t) => u.permissions.includes(t.id)).map((t) => t.name);
  if (names.length === 0) return h("span", { class: "muted", text: "No tabs" });
  if (names.length === 1) return h("span", { class: "perm-one", text: names[0] });
  const all = names.length === tabs.length;
  const label = all ? `All ${names.length} tabs` : `${names.length} tabs`;
  return h("details", { class: "perm-details" },
    h("summary", { class: all ? "perm-count pill-strong" : "perm-count", title: names.join(", ") },
      h("span", { text: label }), h("span", { class: "sr-only", text: ": show which" })),
    h("ul", { class: "perm-list" }, names.map((n) => h("li", { text: n }))));
}
