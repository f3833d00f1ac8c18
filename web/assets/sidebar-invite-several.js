// The "Invite several" sidebar (SPEC §2.2): paste addresses (one a line, or
// CSV email, first name, last name, phone, with or without a header), pick
// the permissions they all get (every enabled tab by default), check the
// preview row by row, send, and read what happened to each person while
// the batches go out (POST …/invitations, at most 50 a request).

import { h, icon, button, openDialog, toast } from "./dom.js";
import { permissionsFieldset, checkedPermissions } from "./permission-checklist.js";
import { parseInviteList } from "./csv.js";

// SPEC §4: an invite-several request carries at most 50 entries.
export const BATCH_SIZE = 50;

/** outcomeOf turns one API result into what the person reads. */
function outcomeOf(result) {
  switch (result.status) {
    case 201: return { kind: "ok", text: "Invited" };
    case 409: return { kind: "warn", text: "Already a user" };
    case 400: return { kind: "error", text: `Invalid: ${result.error ? result.error.message : "refused"}` };
    case 429: return { kind: "warn", text: "Rate limited: the hour's invitations are used up; try again later" };
    // 503: the server ran out of time (the entry was not attempted, or
    // its outcome is unknown: sending it again answers "Already a user"
    // if it was made).
    case 503: return { kind: "error", text: result.error ? result.error.message : "Not sent: the server ran out of time", retry: true };
    default: return { kind: "error", text: result.error ? result.error.message : `Not sent (${result.status})` };
  }
}

/** openInviteSeveralSidebar opens the sidebar and returns its close(). */
export function openInviteSeveralSidebar({ api, context, team, returnFocus }) {
  const titleId = "sheet-title", descId = "sheet-desc";
  const textarea = h("textarea", {
    id: "f-people", name: "people", rows: 8, spellcheck: "false", autocomplete: "off",
    "aria-describedby": "f-people-hint f-people-error", "aria-required": "true", required: true,
    placeholder: "ann@example.com\nbo@example.com, Bo, Lee, +1 415 555 0100",
  });
  const textError = h("p", { class: "field-error", id: "f-people-error", hidden: true });
  const perms = permissionsFieldset(context.tabs, context.tabs.map((t) => t.id));
  const inputStep = h("div", { class: "stack" },
    h("div", { class: "field", "data-field": "people" },
      h("label", { for: "f-people" }, "People to invite", h("span", { class: "req", "aria-hidden": "true", text: " *" })),
      textarea,
      h("p", { class: "hint", id: "f-people-hint", text: "One email address per line, or CSV rows: email, first name, last name, phone. A header row is optional." }),
      textError),
    perms);
  const previewStep = h("div", { class: "stack", hidden: true });
  const resultStep = h("div", { class: "stack", hidden: true });
  const body = h("div", { class: "sheet-body" }, inputStep, previewStep, resultStep);
  const footer = h("div", { class: "sheet-footer" });
  const closeBtn = h("button", { type: "button", class: "icon-btn", "aria-label": "Close", onclick: () => close() }, icon("close"));
  const dialog = h("dialog", { class: "sheet sheet-wide", id: "invite-several", "aria-labelledby": titleId, "aria-describedby": descId },
    h("div", { class: "sheet-header" },
      h("div", {}, h("h2", { id: titleId, text: "Invite several people" }),
        h("p", { id: descId, class: "sheet-desc", text: "Paste a list, check it, then send everyone a welcome email." })),
      closeBtn),
    h("div", { class: "sheet-form" }, body, footer));

  let rows = [];
  let cancelled = false;

  function setFooter(...buttons) {
    footer.replaceChildren(...buttons.filter(Boolean));
  }

  function showInput() {
    inputStep.hidden = false; previewStep.hidden = true; resultStep.hidden = true;
    setFooter(button("Cancel", { class: "btn btn-secondary", onclick: () => close() }),
      button("Preview", { class: "btn btn-primary", id: "invite-several-preview", onclick: preview }));
    textarea.focus();
  }

  function preview() {
    rows = parseInviteList(textarea.value);
    if (rows.length === 0) {
      textError.textContent = "Paste at least one email address.";
      textError.hidden = false;
      textarea.setAttribute("aria-invalid", "true");
      textarea.focus();
      return;
    }
    textError.hidden = true;
    textarea.removeAttribute("aria-invalid");
    const ready = rows.filter((r) => !r.problem).length;
    const problems = rows.length - ready;
    const tabs = checkedPermissions(inputStep);
    const tabNames = context.tabs.filter((t) => tabs.includes(t.id)).map((t) => t.name);
    previewStep.replaceChildren(
      h("p", { class: "bulk-summary", id: "preview-summary", tabindex: "-1" },
        `${plural(ready, "person", "people")} ready to invite` + (problems ? ` · ${plural(problems, "row")} with problems, which will not be sent` : "") + "."),
      h("p", { class: "hint", text: tabNames.length ? `Each gets: ${tabNames.join(", ")}.` : "They get no tabs." }),
      previewTable(rows.map((r) => ({ r, status: r.problem ? { kind: "error", text: r.problem } : { kind: "ok", text: "Ready" } })), "Preview of the people to invite"));
    inputStep.hidden = true; previewStep.hidden = false; resultStep.hidden = true;
    const send = button(ready ? `Send ${plural(ready, "invitation")}` : "Nothing to send", { class: "btn btn-primary", id: "invite-several-send", onclick: () => sendAll(tabs, rows.filter((r) => !r.problem)) });
    send.disabled = ready === 0;
    setFooter(button("Back", { class: "btn btn-secondary", onclick: showInput }), send);
    previewStep.querySelector("#preview-summary").focus();
  }

  // What happened to each row, kept across a first send and its retries.
  const results = new Map(); // row → outcome

  /**
   * sendAll sends the rows of toSend in batches of BATCH_SIZE and shows
   * every row's outcome. Rows not sent (the server ran out of time before
   * them, a batch failed, or Stop) can be sent again from the results.
   */
  async function sendAll(permissions, toSend) {
    cancelled = false;
    for (const r of toSend) results.delete(r);
    for (const r of rows) if (r.problem) results.set(r, { kind: "error", text: `Invalid: ${r.problem}` });
    const bar = h("div", { class: "progress-track" }, h("div", { class: "progress-fill" }));
    const progress = h("div", {
      class: "progress", role: "progressbar", id: "invite-several-progress", "aria-label": "Invitations sent",
      "aria-valuemin": "0", "aria-valuemax": String(toSend.length), "aria-valuenow": "0",
    }, bar);
    const progressText = h("p", { class: "progress-text", "aria-hidden": "true" });
    const live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
    const list = h("div", {});
    resultStep.replaceChildren(h("p", { class: "bulk-summary", id: "result-summary", tabindex: "-1", text: "Sending invitations…" }), progress, progressText, live, list);
    inputStep.hidden = true; previewStep.replaceChildren(); previewStep.hidden = true; resultStep.hidden = false;
    const stop = button("Stop", { class: "btn btn-secondary", onclick: () => { cancelled = true; stop.disabled = true; } });
    setFooter(stop);
    stop.focus();

    let done = 0;
    const notSent = { kind: "muted", text: "Not sent", retry: true };
    const draw = () => {
      progress.setAttribute("aria-valuenow", String(done));
      progress.setAttribute("aria-valuetext", `${done} of ${toSend.length} sent`);
      bar.firstChild.style.width = toSend.length ? `${(100 * done) / toSend.length}%` : "0";
      progressText.textContent = `${done} of ${toSend.length} sent`;
      list.replaceChildren(previewTable(rows.map((r) => ({
        r, status: results.get(r) || (toSend.includes(r) && !cancelled ? { kind: "muted", text: "Waiting…" } : notSent),
      })), "What happened to each person"));
    };
    draw();
    for (let i = 0; i < toSend.length && !cancelled; i += BATCH_SIZE) {
      const batch = toSend.slice(i, i + BATCH_SIZE);
      const entries = batch.map((r) => {
        const e = { email: r.email, permissions };
        if (r.firstName) e.firstName = r.firstName;
        if (r.lastName) e.lastName = r.lastName;
        if (r.phone) e.phone = r.phone;
        return e;
      });
      try {
        const answer = await api.inviteSeveral(entries);
        answer.results.forEach((res, j) => {
          results.set(batch[j], outcomeOf(res));
          if (res.status === 201 && res.user) team.put(res.user);
        });
      } catch (err) {
        if (err.status === 401) return; // the page shows sign-in
        for (const r of batch) results.set(r, { kind: "error", text: `Not sent: ${err.message}`, retry: true });
        cancelled = true; // a refused batch says the rest would be refused too
      }
      done += batch.length;
      draw();
      live.textContent = `${done} of ${toSend.length} sent.`;
    }
    draw();
    const outcome = (r) => results.get(r) || notSent;
    const count = (pred) => rows.filter((r) => pred(outcome(r))).length;
    const invited = count((o) => o.text === "Invited");
    const existing = count((o) => o.text === "Already a user");
    const invalid = count((o) => o.text.startsWith("Invalid"));
    const limited = count((o) => o.text.startsWith("Rate limited"));
    const other = rows.length - invited - existing - invalid - limited;
    const parts = [`${invited} invited`];
    if (existing) parts.push(`${existing} already ${existing === 1 ? "a user" : "users"}`);
    if (invalid) parts.push(`${invalid} invalid`);
    if (limited) parts.push(`${limited} rate limited`);
    if (other) parts.push(`${other} not sent`);
    const summary = resultStep.querySelector("#result-summary");
    summary.textContent = parts.join(" · ") + ".";
    if (invited) toast(`${plural(invited, "invitation")} sent`);
    const again = rows.filter((r) => !r.problem && outcome(r).retry);
    setFooter(
      again.length ? button(`Send ${plural(again.length, "invitation")} again`, { class: "btn btn-secondary", id: "invite-several-retry", onclick: () => sendAll(permissions, again) }) : null,
      button("Done", { class: "btn btn-primary", id: "invite-several-done", onclick: () => close() }));
    summary.focus();
  }


  const close = openDialog(dialog, {
    returnFocus,
    initialFocus: () => textarea,
    onClose: () => { cancelled = true; },
  });
  showInput();
  return close;
}

function plural(n, one, many = one + "s") {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** previewTable lists the rows with their status: line, person, outcome. */
function previewTable(items, caption) {
  return h("div", { class: "bulk-table-wrap" }, h("table", { class: "bulk-table" },
    h("caption", { class: "sr-only", text: caption }),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", text: "Line" }), h("th", { scope: "col", text: "Person" }), h("th", { scope: "col", text: "Status" }))),
    h("tbody", {}, items.map(({ r, status }) => h("tr", { "data-line": String(r.line), "data-entry": r.email },
      h("td", { class: "tabular", text: String(r.line) }),
      h("td", {}, h("span", { class: "bulk-email", text: r.email || "—" }),
        [r.firstName, r.lastName].filter(Boolean).length ? h("span", { class: "muted bulk-name", text: [r.firstName, r.lastName].filter(Boolean).join(" ") }) : null),
      h("td", {}, h("span", { class: `bulk-status bulk-${status.kind}`, text: status.text })))))));
}
