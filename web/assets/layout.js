// The parts of the page that frame whatever it shows: the breadcrumb, the
// heading with its actions, and the card that stands in for the team when
// there is nothing to list (no access, a failed load, a missing
// configuration, an ended session).

import { h, icon } from "./dom.js";

/** breadcrumb shows where the page is; current names the page (User Management unless given). */
export function breadcrumb(current = "User Management") {
  return h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" },
    h("ol", {}, h("li", {}, h("span", { text: "Administration" })), h("li", {}, h("span", { "aria-current": "page", text: current }))));
}

export function pageHead(...actions) {
  return h("div", { class: "page-head" },
    h("div", {},
      h("h1", { text: "User Management" }),
      h("p", { class: "page-sub", text: "Invite your team, choose which tabs each person can see, and remove access when someone leaves." })),
    actions);
}

export function stateCard(iconName, title, text, ...actions) {
  return h("section", { class: "state-card", "aria-labelledby": "state-title" },
    h("div", { class: `state-icon ${iconName}` }, icon(iconName)),
    h("h2", { id: "state-title", text: title }),
    h("p", { text }),
    actions.length ? h("div", { class: "state-actions" }, actions) : null);
}
