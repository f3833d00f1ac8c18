// What the team table is asked to show (SPEC §4 "Listing"): the search, the
// two filters and the sort, how they travel in the page's URL (so a reload
// or a shared link shows the same list), how they become the API's query
// string, and the words of the count line. No DOM here beyond reading and
// replacing the URL, so each rule can be read on its own.

/** SORTS are the API's sort values in the order the page offers them. */
export const SORTS = ["email", "name", "newest"];

/** STATUSES are the API's status filter values; "" means everyone. */
export const STATUSES = ["invited", "active"];

/** MAX_Q is the longest search the API takes (SPEC §4: q ≤ 100 characters). */
export const MAX_Q = 100;

/** emptyQuery is the unfiltered list in the default order. */
export function emptyQuery() {
  return { q: "", status: "", tab: "", sort: "email" };
}

/**
 * readQuery takes the list's query from a URL's search part. Values the API
 * would refuse (an unknown status or sort, an over-long search) are dropped
 * rather than sent, so a hand-edited link still opens the page; the tab is
 * checked against the enabled tabs once they have loaded (see knownTab).
 */
export function readQuery(search) {
  const params = new URLSearchParams(search);
  const query = emptyQuery();
  query.q = (params.get("q") || "").slice(0, MAX_Q);
  const status = params.get("status") || "";
  if (STATUSES.includes(status)) query.status = status;
  query.tab = params.get("tab") || "";
  const sort = params.get("sort") || "";
  if (SORTS.includes(sort)) query.sort = sort;
  return query;
}

/**
 * knownTab returns query without its tab filter when that tab is not
 * enabled for the business (the API would answer 400 for it).
 */
export function knownTab(query, tabs) {
  if (!query.tab || tabs.some((t) => t.id === query.tab)) return query;
  return { ...query, tab: "" };
}

/**
 * queryURL returns href with the query in its search part, leaving other
 * parameters alone; defaults are left out, so the plain page keeps its
 * plain address.
 */
export function queryURL(href, query) {
  const url = new URL(href);
  for (const key of ["q", "status", "tab", "sort"]) url.searchParams.delete(key);
  const q = query.q.trim();
  if (q) url.searchParams.set("q", q);
  if (query.status) url.searchParams.set("status", query.status);
  if (query.tab) url.searchParams.set("tab", query.tab);
  if (query.sort && query.sort !== "email") url.searchParams.set("sort", query.sort);
  return url.toString();
}

/**
 * keepInURL records query in the address bar without adding a history
 * entry: typing a search should not make Back step through every letter.
 */
export function keepInURL(query) {
  const next = queryURL(location.href, query);
  if (next !== location.href) history.replaceState(history.state, "", next);
}

/** isFiltering reports whether query narrows the list (the sort does not). */
export function isFiltering(query) {
  return !!(query.q.trim() || query.status || query.tab);
}

/** sameQuery reports whether a and b ask for the same list. */
export function sameQuery(a, b) {
  return a.q.trim() === b.q.trim() && a.status === b.status && a.tab === b.tab && a.sort === b.sort;
}

/** apiParams is query as the list operation's parameters (without limit and cursor). */
export function apiParams(query) {
  const params = {};
  const q = query.q.trim();
  if (q) params.q = q;
  if (query.status) params.status = query.status;
  if (query.tab) params.tab = query.tab;
  if (query.sort && query.sort !== "email") params.sort = query.sort;
  return params;
}

const numbers = new Intl.NumberFormat("en");

/** formatCount writes a number the way people read it: 1,234. */
export function formatCount(n) {
  return numbers.format(n);
}

/**
 * countLine is the line above the table. Unfiltered it is the whole team
 * ("1,234 people · 12 invited"); filtered, the matches, exact only once the
 * filtered list has been read to its end, else what has been seen so far
 * with a "+" ("50+ matches"), because the API gives the total of the
 * business, not of a filter (SPEC §4). total is the API's (null when it
 * gave none); matches is { n, complete }: the users read up to the end of
 * the page shown, and whether that is the end of the list; invited is
 * { n, complete } or null while unknown.
 */
export function countLine({ filtering, total, invited, matches }) {
  if (filtering) {
    const n = matches.n;
    if (!matches.complete) return `${formatCount(n)}+ matches`;
    return n === 1 ? "1 match" : `${formatCount(n)} matches`;
  }
  // Without the API's total (a server older than SPEC §4's), count what
  // has been read, with a "+" while more follow.
  const known = typeof total === "number";
  const n = known ? total : matches.n;
  const people = `${formatCount(n)}${known || matches.complete ? "" : "+"} ${n === 1 ? "person" : "people"}`;
  if (!invited) return people;
  return `${people} · ${formatCount(invited.n)}${invited.complete ? "" : "+"} invited`;
}

/**
 * compareUsers orders users as the API does for sort (SPEC §4): email;
 * name = last name, first name, then email, people without a name last;
 * newest = createdAt descending. The table uses it to place a user it
 * has just invited or edited among the rows it shows.
 */
export function compareUsers(sort) {
  const byEmail = (a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0);
  if (sort === "newest") {
    return (a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : byEmail(a, b));
  }
  if (sort === "name") {
    const key = (u) => [(u.lastName || "").toLowerCase(), (u.firstName || "").toLowerCase()];
    return (a, b) => {
      const an = !!(a.lastName || a.firstName), bn = !!(b.lastName || b.firstName);
      if (an !== bn) return an ? -1 : 1;
      const [al, af] = key(a), [bl, bf] = key(b);
      if (al !== bl) return al < bl ? -1 : 1;
      if (af !== bf) return af < bf ? -1 : 1;
      return byEmail(a, b);
    };
  }
  return byEmail;
}

/**
 * createLatest keeps only the newest of overlapping requests: begin()
 * aborts the one before (so at most one is in flight) and returns
 * { signal, current() }; an answer whose current() is false arrived after
 * a newer question and must be dropped, whatever it says.
 */
export function createLatest() {
  let seq = 0;
  let controller = null;
  return {
    begin() {
      if (controller) controller.abort();
      controller = new AbortController();
      const mine = ++seq;
      return { signal: controller.signal, current: () => mine === seq };
    },
    /** cancel aborts the request in flight, if any, and makes its answer stale. */
    cancel() {
      if (controller) controller.abort();
      controller = null;
      seq++;
    },
  };
}
