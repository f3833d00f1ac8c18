// The HTTP API client (SPEC §4): JSON in and out, a bearer token from the
// auth module, If-Match from a user's version, and errors as ApiError.

/**
 * ApiError is a failed call: status 0 means the network failed, or, with
 * code "aborted", that the caller aborted it. retryAfter is the Retry-After
 * of a 429 or 503 in seconds (null without one).
 */
export class ApiError extends Error {
  constructor(status, code, message, fields, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.retryAfter = retryAfter;
  }
}

/**
 * createApi returns the operations of the page over baseUrl ("" = this
 * origin). auth.token() gives the current token; after a 401,
 * auth.refresh(rejectedToken) may give a new one (the request is then retried
 * once), else the error is passed to onUnauthenticated and thrown.
 */
export function createApi({ baseUrl, businessId, auth, onUnauthenticated }) {
  const root = `${baseUrl.replace(/\/+$/, "")}/v1/businesses/${encodeURIComponent(businessId)}`;
  const userPath = (email) => `${root}/users/${encodeURIComponent(email)}`;
  // ETags are "<id>.<version>" (docs/openapi.yaml); sending the revision we
  // showed makes a concurrent change elsewhere, or a removal and a new
  // invitation at the address, come back as 412 rather than be overwritten.
  const ifMatch = (user) => ({ "If-Match": `"${user.id}.${user.version}"` });

  async function send(method, url, { body, headers, signal } = {}, retried = false) {
    const token = await auth.token();
    const init = { method, headers: { Accept: "application/json", ...headers }, cache: "no-store", signal };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(url, init);
    } catch (e) {
      if (signal && signal.aborted) throw new ApiError(0, "aborted", "The request was cancelled.");
      throw new ApiError(0, "network", "We couldn't reach the server. Check your connection and try again.");
    }
    if (resp.status === 401 && !retried && (await auth.refresh(token))) {
      return send(method, url, { body, headers, signal }, true);
    }
    if (resp.status === 204) return null;
    let data = null;
    try { data = await resp.json(); } catch { /* a body that is not JSON: judged by status below */ }
    if (!resp.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(resp.status, e.code || "internal",
        e.message || (resp.status >= 500
          ? `Something went wrong on our side (${resp.status}). Please try again in a moment.`
          : `The request failed (${resp.status}). Please try again.`), e.fields, retryAfterOf(resp));
      // A 401 ends the session only while it is still the session the
      // request was sent in: one that comes back after the person signed
      // in again (a request of the old session still in flight) must not
      // sign them out of the new one.
      if (resp.status === 401 && onUnauthenticated && (await auth.token()) === token) onUnauthenticated(err);
      throw err;
    }
    return data;
  }

  return {
    getBusiness: () => send("GET", root),
    listTabs: () => send("GET", `${root}/tabs`).then((d) => d.tabs),
    // filters holds the listing's q, status, tab and sort (list-query.js
    // apiParams); signal lets a newer search abandon this one.
    listUsers: (cursor, limit = 50, filters = {}, { signal } = {}) => {
      const q = new URLSearchParams({ ...filters, limit: String(limit) });
      if (cursor) q.set("cursor", cursor);
      return send("GET", `${root}/users?${q}`, { signal });
    },
    getUser: (email) => send("GET", userPath(email)),
    // The writes a form sends take { signal }, so Cancel can abort them.
    invite: (body, { signal } = {}) => send("POST", `${root}/users`, { body, signal }),
    // SPEC §4 "Invite several": at most 50 entries, a result each.
    inviteSeveral: (users) => send("POST", `${root}/invitations`, { body: { users } }),
    // A page of the list with any query parameters (q, status, tab, sort,
    // limit, cursor), for "Export CSV", which passes on the table's.
    listUsersWith: (params, signal) => send("GET", `${root}/users?${new URLSearchParams(params)}`, { signal }),
    setPermissions: (user, permissions, { signal } = {}) =>
      send("PUT", `${userPath(user.email)}/permissions`, { body: { permissions }, headers: ifMatch(user), signal }),
    updateContact: (user, patch, { signal } = {}) => send("PATCH", userPath(user.email), { body: patch, headers: ifMatch(user), signal }),
    remove: (user) => send("DELETE", userPath(user.email), { headers: ifMatch(user) }),
    resendInvitation: (user) => send("POST", `${userPath(user.email)}/invitation`, { headers: ifMatch(user) }),
    transferOwnership: (email) => send("POST", `${root}/owner`, { body: { email } }),
    /** listActivity pages through the history, newest first (SPEC §4); type and userId filter. */
    listActivity: ({ type, userId, cursor, limit = 25 } = {}) => {
      const q = new URLSearchParams({ limit: String(limit) });
      if (type) q.set("type", type);
      if (userId) q.set("userId", userId);
      if (cursor) q.set("cursor", cursor);
      return send("GET", `${root}/activity?${q}`);
    },
  };
}

// retryAfterOf reads Retry-After in seconds (the API never sends a date).
function retryAfterOf(resp) {
  const n = Number(resp.headers.get("Retry-After"));
  return Number.isFinite(n) && n >= 0 && resp.headers.has("Retry-After") ? n : null;
}
