// Times as people read them: "3 days ago" in the text, the exact moment a
// hover, a focus or a screen reader away (SPEC §2.7: the history says when).

import { h } from "./dom.js";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * relativeTime says how long ago iso was at now (ms since the epoch), the
 * way activity feeds do: "just now", "2 min ago", "3 hours ago", "3 days
 * ago", and the date itself beyond a month, when "41 days ago" would make
 * people count.
 */
export function relativeTime(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  const ago = now - at;
  if (ago < 45 * 1000) return "just now";
  if (ago < HOUR) return `${Math.max(1, Math.round(ago / MINUTE))} min ago`;
  if (ago < DAY) return count(Math.round(ago / HOUR), "hour") + " ago";
  if (ago < 30 * DAY) return count(Math.round(ago / DAY), "day") + " ago";
  return new Date(at).toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** exactTime is iso in the reader's time zone, to the minute. */
export function exactTime(iso) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * timeAgo is a <time> showing the relative time, with the exact time as its
 * title (for the pointer) and in hidden text (for screen readers, which do
 * not read titles reliably), and the machine-readable one in datetime.
 */
export function timeAgo(iso, now = Date.now()) {
  return h("time", { datetime: iso, title: exactTime(iso) }, relativeTime(iso, now),
    h("span", { class: "sr-only", text: ` (${exactTime(iso)})` }));
}

function count(n, unit) {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
