// The bar above the team table that finds people (SPEC §2.1): "Search
// people" (as you type, debounced), the "Status" and "Access" filters, a
// "Sort by" choice for narrow screens (where the column headers are not
// shown), and "Find my row". It only collects what the person asks for and
// hands it to onChange; the table (table.js) fetches and shows the list.

import { h, icon, button } from "./dom.js";
import { MAX_Q } from "./list-query.js";

/** DEBOUNCE_MS is how long typing pauses before the search is sent. */
const DEBOUNCE_MS = 250;

/**
 * createFindBar returns { element, set(query), setTabs(tabs, tab),
 * setDisabled(disabled), setClearable(on), flush() }.
 * onChange(patch) receives the changed parts of the query ({ q }, { status },
 * { tab } or { sort }); onFindMe() asks for the caller's own row; onClear()
 * for the whole team again.
 */
export function createFindBar({ query, onChange, onFindMe, onClear }) {
  let timer = null;
  const search = h("input", {
    type: "search", id: "find-q", class: "search-input", value: query.q, maxlength: String(MAX_Q),
    placeholder: "Search by name or email", autocomplete: "off", spellcheck: "false", enterkeyhint: "search",
    "aria-controls": "team-table",
  });
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(flush, DEBOUNCE_MS);
  });
  search.addEventListener("keydown", (e) => {
    // Enter searches at once rather than after the pause.
    if (e.key === "Enter") { e.preventDefault(); flush(); }
  });

  const status = select("find-status", [["", "All"], ["invited", "Invited"], ["active", "Active"]], query.status,
    () => onChange({ status: status.value }));
  const access = select("find-tab", [["", "Anyone"]], query.tab, () => onChange({ tab: access.value }));
  const sort = select("find-sort", [["email", "Email"], ["name", "Name"], ["newest", "Newest first"]], query.sort,
    () => onChange({ sort: sort.value }));

  const clear = button("Clear filters", { class: "btn btn-ghost btn-sm", id: "clear-search", hidden: true, onclick: () => { clearTimeout(timer); onClear(); } }, "close");

  const element = h("div", { class: "find-bar", role: "search", "aria-label": "Find people" },
    h("div", { class: "search" },
      h("label", { for: "find-q", class: "sr-only", text: "Search people" }),
      icon("search"),
      search),
    h("div", { class: "filters" },
      field("find-status", "Status", status),
      field("find-tab", "Access", access),
      field("find-sort", "Sort by", sort, "sort-field"),
      button("Find my row", { class: "btn btn-secondary btn-sm", id: "find-me", onclick: () => { clearTimeout(timer); onFindMe(); } }, "locate"),
      clear));

  /** flush sends the search now if it differs from what is shown. */
  function flush() {
    clearTimeout(timer);
    timer = null;
    onChange({ q: search.value });
  }

  /** set shows query in the controls, as after "Clear filters" or "Find my row". */
  function set(q) {
    clearTimeout(timer);
    if (search.value !== q.q) search.value = q.q;
    status.value = q.status;
    access.value = q.tab;
    sort.value = q.sort;
    holdSort();
  }

  // A search lists its matches best first whatever the sort (see
  // table.js showSort), so the sort choice waits until it is cleared.
  function holdSort() {
    sort.disabled = !!search.value.trim();
    sort.title = sort.disabled ? "Search results are listed best match first" : "";
  }

  /**
   * setTabs offers the business's enabled tabs as the Access filter, in
   * display order; holders of the Users tab are the managers (SPEC §2), and
   * that is what people look for.
   */
  function setTabs(tabs, current) {
    access.replaceChildren(h("option", { value: "", text: "Anyone" }),
      ...tabs.map((t) => h("option", { value: t.id, text: t.id === "users" ? "Managers" : t.name })));
    access.value = current;
  }

  /**
   * setDisabled holds the controls while the team's first page loads: a
   * search sent then would replace that load before the page has its tabs.
   */
  function setDisabled(disabled) {
    for (const el of element.querySelectorAll("input, select, button")) el.disabled = disabled;
    if (!disabled) holdSort();
  }

  /** setClearable shows "Clear filters" while the list is narrowed. */
  function setClearable(on) {
    clear.hidden = !on;
  }

  return { element, set, setTabs, setDisabled, setClearable, flush };
}

function select(id, options, value, onchange) {
  const el = h("select", { id, class: "select", onchange },
    options.map(([v, label]) => h("option", { value: v, text: label })));
  el.value = value;
  return el;
}

function field(id, label, control, extra) {
  return h("div", { class: extra ? `filter ${extra}` : "filter" }, h("label", { for: id, text: label }), control);
}
