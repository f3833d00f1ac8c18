// CSV in and out, with no page around it: reading the list a manager pastes
// into "Invite several" (one address per line, or CSV rows email, first
// name, last name, phone, with or without a header) and writing the rows of
// "Export CSV" (RFC 4180, guarded against formula injection). The browser
// tests import this module on its own (internal/webtest).

import { validEmail } from "./forms.js";

/**
 * parseCsvLine splits one CSV record (RFC 4180: fields separated by commas,
 * a field in double quotes may hold commas, and "" is a quote in it). A tab
 * separates too when the line has no comma: a column copied out of a
 * spreadsheet arrives tab-separated.
 */
export function parseCsvLine(line) {
  const sep = line.includes(",") || !line.includes("\t") ? "," : "\t";
  const out = [];
  let cur = "", quoted = false, i = 0;
  while (i < line.length) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      cur += c; i++; continue;
    }
    if (c === '"' && cur.trim() === "") { quoted = true; cur = ""; i++; continue; }
    if (c === sep) { out.push(cur.trim()); cur = ""; i++; continue; }
    cur += c; i++;
  }
  out.push(cur.trim());
  return out;
}

// Header names a pasted CSV may use for each column, lower-cased without
// spaces, dashes or underscores.
const HEADER_NAMES = {
  email: ["email", "emailaddress", "e-mail", "mail"],
  firstName: ["first", "firstname", "givenname"],
  lastName: ["last", "lastname", "surname", "familyname"],
  phone: ["phone", "phonenumber", "mobile", "tel", "telephone"],
};
const COLUMNS = ["email", "firstName", "lastName", "phone"];

function headerKey(cell) {
  const k = cell.toLowerCase().replace(/[\s_-]+/g, "");
  return COLUMNS.find((col) => HEADER_NAMES[col].includes(k)) || null;
}

/**
 * parseInviteList reads what was pasted into rows to invite, each
 * { line, email, firstName, lastName, phone, problem }, problem being why
 * the row cannot be sent ("" when it can). A first line whose cells are
 * column names (no address among them) is a header: its names decide the
 * columns. Blank lines are skipped; an address already on an earlier line
 * is a problem on the later one (the API would refuse it: already a user).
 */
export function parseInviteList(text) {
  const lines = text.split(/\r\n|\r|\n/).map((l, i) => ({ text: l.trim(), line: i + 1 })).filter((l) => l.text !== "");
  let columns = COLUMNS;
  if (lines.length > 0) {
    const cells = parseCsvLine(lines[0].text);
    const keys = cells.map(headerKey);
    if (!cells.some((c) => c.includes("@")) && keys.includes("email")) {
      columns = keys;
      lines.shift();
    }
  }
  const seen = new Map();
  return lines.map(({ text: l, line }) => {
    const cells = parseCsvLine(l);
    const row = { line, email: "", firstName: "", lastName: "", phone: "", problem: "" };
    columns.forEach((col, i) => { if (col && cells[i] !== undefined) row[col] = cells[i]; });
    row.email = row.email.replace(/^mailto:/i, "");
    const key = row.email.toLowerCase();
    if (!row.email) row.problem = "No email address";
    else if (!validEmail(row.email) || row.email.length > 254) row.problem = "Not a valid email address";
    else if (row.firstName.length > 100 || row.lastName.length > 100) row.problem = "Names can be at most 100 characters";
    else if (row.phone && !/^[+\d\s().\-/]+$/.test(row.phone)) row.problem = "The phone number may contain only digits, spaces and + ( ) - .";
    else if (seen.has(key)) row.problem = `Repeats line ${seen.get(key)}`;
    if (!row.problem) seen.set(key, line);
    return row;
  });
}

/**
 * csvCell writes one value as an RFC 4180 field. A value a spreadsheet
 * would run as a formula (it starts with = + - @, a tab or a carriage
 * return) gets a leading apostrophe, so opening the file runs nothing; a
 * value holding a comma, a quote or a line break is quoted.
 */
export function csvCell(value) {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** csvLine writes one record, ended by CRLF (RFC 4180). */
export function csvLine(values) {
  return values.map(csvCell).join(",") + "\r\n";
}

/** EXPORT_HEADER names the columns of "Export CSV". */
export const EXPORT_HEADER = ["Email", "First name", "Last name", "Phone", "Status", "Permissions", "Date added", "Invited by"];

/**
 * exportRecord is one user as a row of "Export CSV": permissions by the
 * names of the business's enabled tabs, in their order, separated by "; ".
 */
export function exportRecord(u, tabs) {
  const perms = tabs.filter((t) => (u.permissions || []).includes(t.id)).map((t) => t.name).join("; ");
  return [u.email, u.firstName, u.lastName, u.phone, u.status, perms, u.createdAt, u.invitedBy];
}
