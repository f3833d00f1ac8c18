// "Export CSV" (SPEC §2.1): the whole list as the table shows it (its
// search, filters and sort, read from the page's query string), fetched a
// page of 100 at a time, with a progress bar ("12,000 of 48,213") that can
// be cancelled, written into a Blob a page at a time between which the page
// stays responsive, then downloaded.

import { h, button, setBusy, toast } from "./dom.js";
import { csvLine, exportRecord, EXPORT_HEADER } from "./csv.js";

// The largest page the API gives (SPEC §4).
const EXPORT_PAGE = 100;
// The table's list parameters the export passes on, when the URL has them.
const LIST_PARAMS = ["q", "status", "tab", "sort"];

/**
 * listParams returns the list's query parameters from a query string, and
 * whether any of them narrows the list (a filtered list has no known
 * total: SPEC §4's total counts everyone).
 */
export function listParams(search) {
  const from = new URLSearchParams(search);
  const params = {};
  for (const k of LIST_PARAMS) if (from.get(k)) params[k] = from.get(k);
  return { params, filtered: ["q", "status", "tab"].some((k) => params[k]) };
}

function n(x) {
  return x.toLocaleString("en-US");
}

/**
 * createExport returns the "Export CSV" button's action. It draws its
 * progress panel under the page heading while it runs; the button is
 * disabled meanwhile, and focus goes to Cancel and comes back.
 */
export function createExport({ api, businessId, context, exportButton, view }) {
  let running = null; // the AbortController of the export under way

  return async function run() {
    if (running) return;
    const controller = new AbortController();
    running = controller;
    const { params, filtered } = listParams(location.search);
    const fill = h("div", { class: "progress-fill" });
    const bar = h("div", {
      class: "progress", role: "progressbar", id: "export-progress", "aria-label": "Export progress",
      "aria-valuemin": "0", "aria-valuenow": "0",
    }, h("div", { class: "progress-track" }, fill));
    const text = h("p", { class: "progress-text", id: "export-progress-text", text: "Starting…" });
    const cancel = button("Cancel export", { class: "btn btn-secondary", id: "export-cancel", onclick: () => controller.abort() });
    const live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    const panel = h("section", { class: "task-panel", id: "export-panel", "aria-label": "Export to CSV" },
      h("div", { class: "task-head" }, h("h2", { class: "task-title", text: filtered ? "Exporting the filtered list" : "Exporting everyone" }), cancel),
      bar, text, live);
    const head = view.querySelector(".page-head");
    if (head) head.after(panel); else view.prepend(panel);
    setBusy(exportButton(), true, "Exporting…");
    cancel.focus();

    let total = null;
    let asked = false; // whether the total was looked for
    let done = 0;
    const show = () => {
      const label = total === null ? `${n(done)} exported` : `${n(done)} of ${n(total)}`;
      text.textContent = label;
      bar.setAttribute("aria-valuenow", String(done));
      bar.setAttribute("aria-valuetext", label);
      if (total !== null) {
        bar.setAttribute("aria-valuemax", String(total));
        fill.style.width = total ? `${Math.min(100, (100 * done) / total)}%` : "100%";
      } else {
        bar.removeAttribute("aria-valuemax");
        fill.classList.add("indeterminate");
      }
    };
    // A byte order mark, so that spreadsheet programs read UTF-8 names.
    const parts = ["\uFEFF", csvLine(EXPORT_HEADER)];
    let outcome = "done";
    try {
      let cursor = null;
      do {
        const page = await api.listUsersWith({ ...params, limit: String(EXPORT_PAGE), ...(cursor ? { cursor } : {}) }, controller.signal);
        if (!asked && !filtered) {
          asked = true;
          // The list's total (SPEC §4); the business's, where the list
          // does not carry it.
          total = typeof page.total === "number" ? page.total : (await api.getBusiness()).total ?? null;
        }
        let chunk = "";
        for (const u of page.users) chunk += csvLine(exportRecord(u, context.tabs));
        parts.push(chunk);
        done += page.users.length;
        if (total !== null && done > total) total = done; // someone was invited meanwhile
        show();
        cursor = page.nextCursor;
        // Let the page paint and take input between pages.
        await new Promise((resolve) => setTimeout(resolve, 0));
      } while (cursor && !controller.signal.aborted);
      if (controller.signal.aborted) outcome = "cancelled";
    } catch (err) {
      if (controller.signal.aborted) outcome = "cancelled";
      else if (err.status === 401) outcome = "signed-out";
      else { outcome = "failed"; toast(`The export stopped: ${err.message}`, { kind: "error" }); }
    }
    running = null;
    if (outcome === "done") {
      const blob = new Blob(parts, { type: "text/csv;charset=utf-8" });
      download(blob, `team-${businessId}-${new Date().toISOString().slice(0, 10)}${filtered ? "-filtered" : ""}.csv`);
      total = done;
      show();
      text.textContent = `Exported ${n(done)} ${done === 1 ? "person" : "people"}.`;
      live.textContent = text.textContent;
      toast(`Exported ${n(done)} ${done === 1 ? "person" : "people"} to CSV`);
    } else if (outcome === "cancelled") {
      live.textContent = "Export cancelled.";
      toast("Export cancelled", { kind: "info" });
    }
    panel.remove();
    const btn = exportButton();
    if (btn && btn.isConnected) {
      setBusy(btn, false, "Export CSV");
      btn.focus();
    }
  };
}

/** download saves blob as a file through a temporary link. */
function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
