// The page's two views, "People" and "History", as ARIA tabs: arrow keys
// move between them, each tab names its panel. The team table draws the
// People view; this module wraps whatever it drew under the page heading,
// so the table need not know about tabs.

import { h } from "./dom.js";

/**
 * attachTabs turns view (as the team table just drew it: breadcrumb, page
 * heading, then the team) into a tab list and two panels, People holding
 * the team and History holding historyElement. onShowHistory runs each
 * time History is chosen, to load it fresh.
 */
export function attachTabs(view, { historyElement, onShowHistory }) {
  const head = view.querySelector(".page-head");
  if (!head) return null;
  const people = h("div", { role: "tabpanel", id: "panel-people", "aria-labelledby": "tab-people", class: "tab-panel" });
  let next = head.nextSibling;
  while (next) { const n = next.nextSibling; people.append(next); next = n; }
  const history = h("div", { role: "tabpanel", id: "panel-history", "aria-labelledby": "tab-history", class: "tab-panel", hidden: true, tabindex: "0" },
    h("section", { class: "card history-card", "aria-labelledby": "history-title" },
      h("div", { class: "card-head" }, h("div", {}, h("h2", { id: "history-title", text: "History" }),
        h("p", { class: "card-sub", text: "Who invited, changed or removed whom, and when. Newest first." }))),
      h("div", { class: "card-body" }, historyElement)));
  const tab = (id, label, selected) => h("button", {
    type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`,
    "aria-selected": String(selected), tabindex: selected ? "0" : "-1", class: "tab", text: label,
  });
  const tabs = [tab("people", "People", true), tab("history", "History", false)];
  const list = h("div", { role: "tablist", "aria-label": "User Management views", class: "tabs" }, tabs);
  const select = (i, focus) => {
    tabs.forEach((t, j) => {
      t.setAttribute("aria-selected", String(i === j));
      t.tabIndex = i === j ? 0 : -1;
    });
    people.hidden = i !== 0;
    history.hidden = i !== 1;
    if (focus) tabs[i].focus();
    if (i === 1) onShowHistory();
  };
  tabs.forEach((t, i) => t.addEventListener("click", () => { if (t.getAttribute("aria-selected") !== "true") select(i, false); }));
  list.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    let to = null;
    if (e.key === "ArrowRight") to = (i + 1) % tabs.length;
    else if (e.key === "ArrowLeft") to = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") to = 0;
    else if (e.key === "End") to = tabs.length - 1;
    if (to === null) return;
    e.preventDefault();
    select(to, true);
  });
  head.after(list, people, history);
  return { showPeople: () => select(0, false), showHistory: () => select(1, false) };
}
