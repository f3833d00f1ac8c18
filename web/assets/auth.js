// Where the page's token comes from (config.tokenMode; see web/README.md):
//  - "local": the local stack's sign-in, POST /dev/token, kept in sessionStorage;
//  - "host": the page that hosts this one hands the token over.

const STORAGE_KEY = "businessapp.usermanagement.session";
const MESSAGE_TIMEOUT_MS = 5000;

/** emailOf returns the email claim of a JWT, lower-cased, or "". The API
 * verifies the token; the page only reads who it is for, to mark "You". */
export function emailOf(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return String(claims.email || "").trim().toLowerCase();
  } catch {
    return "";
  }
}

/** createAuth returns the token source for the configured mode. */
export function createAuth(config) {
  return config.tokenMode === "host" ? hostAuth(config) : localAuth(config);
}

function localAuth(config) {
  const base = (config.apiBaseUrl || "").replace(/\/+$/, "");
  const read = () => {
    try { return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null; } catch { return null; }
  };
  return {
    mode: "local",
    canSignOut: true,
    async token() { const s = read(); return s ? s.token : null; },
    // A local token fails only when it expired or the stack restarted with a
    // new key: signing in again is the only way forward.
    async refresh() { return false; },
    email() { const s = read(); return s ? s.email : ""; },
    signedIn() { return !!read(); },
    async signIn(email) {
      const resp = await fetch(`${base}/dev/token`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email }),
      });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok || !data.token) {
        const e = data.error || {};
        throw Object.assign(new Error((e.fields && e.fields.email) || e.message || "Sign-in failed."), { fields: e.fields });
      }
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ token: data.token, email: emailOf(data.token) }));
    },
    signOut() { sessionStorage.removeItem(STORAGE_KEY); },
  };
}

function hostAuth(config) {
  const host = config.host || {};
  let current = null; // the promise of the token in use; one ask at a time
  let currentValue = null;
  let refreshing = null;

  // ask obtains a token from the host, in the order the contract lists.
  async function ask(reason) {
    if (typeof window.businessAppToken === "function") return window.businessAppToken({ reason });
    try {
      if (window.parent !== window && typeof window.parent.businessAppToken === "function") {
        return window.parent.businessAppToken({ reason });
      }
    } catch { /* a cross-origin parent: use messages below */ }
    if (window.parent !== window && host.parentOrigin) return askByMessage(reason);
    return null;
  }

  // obtain asks and remembers the answer; a failing host counts as no token.
  function obtain(reason) {
    return ask(reason).catch(() => null).then((t) => {
      currentValue = typeof t === "string" && t ? t : null;
      current = Promise.resolve(currentValue);
      return currentValue;
    });
  }

  function askByMessage(reason) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { window.removeEventListener("message", onMessage); resolve(null); }, MESSAGE_TIMEOUT_MS);
      function onMessage(e) {
        // Only the configured host may hand over a token.
        if (e.origin !== host.parentOrigin || !e.data || e.data.type !== "businessapp:token") return;
        clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        resolve(typeof e.data.token === "string" ? e.data.token : null);
      }
      window.addEventListener("message", onMessage);
      window.parent.postMessage({ type: "businessapp:token-request", reason }, host.parentOrigin);
    });
  }

  return {
    mode: "host",
    canSignOut: false,
    token() {
      if (!current) current = obtain("initial");
      return current;
    },
    // refresh asks the host once for a token to replace the rejected one;
    // requests that fail together share that one ask.
    async refresh(rejected) {
      if (currentValue && currentValue !== rejected) return true;
      if (!refreshing) refreshing = obtain("expired").finally(() => { refreshing = null; });
      const fresh = await refreshing;
      return !!fresh && fresh !== rejected;
    },
    email() { return currentValue ? emailOf(currentValue) : ""; },
    signedIn() { return true; },
    async signIn() {},
    signOut() {
      current = currentValue = null;
      if (window.parent !== window && host.parentOrigin) {
        window.parent.postMessage({ type: "businessapp:unauthenticated" }, host.parentOrigin);
      }
      if (host.signInUrl) {
        const url = new URL(host.signInUrl, location.href);
        url.searchParams.set("returnTo", location.href);
        location.assign(url.toString());
      }
    },
  };
}
