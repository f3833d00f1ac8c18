// A toggletip: a button whose short explanation shows on hover, on focus
// and on a click or tap, and hides on Escape. Unlike a title tooltip it
// reaches keyboard, touch and screen-reader users: the explanation is the
// button's description (aria-describedby), and a click toggles it for those
// who cannot hover.

import { h } from "./dom.js";

let seq = 0;
let listening = false;

// A fixed bubble would stay put while its trigger scrolls away: one
// listener for the page closes whichever is open.
function closeOnScroll() {
  if (listening) return;
  listening = true;
  window.addEventListener("scroll", () => {
    for (const w of document.querySelectorAll(".toggletip.open")) w.closeTip();
  }, { capture: true, passive: true });
}

/**
 * toggletip returns a wrapper holding the trigger button (attrs and
 * children as for h) and its bubble (tip: text or nodes). The bubble is
 * placed with position: fixed next to the trigger, so a table card's
 * overflow does not clip it.
 */
export function toggletip(attrs, children, tip) {
  const id = `tip-${++seq}`;
  const bubble = h("span", { class: "tip-bubble", id, role: "note" }, tip);
  const trigger = h("button", {
    type: "button", ...attrs, class: `tip-trigger ${attrs.class || ""}`.trim(),
    "aria-expanded": "false", "aria-describedby": id,
  }, children);
  const wrap = h("span", { class: "toggletip" }, trigger, bubble);
  let pinned = false;
  const place = () => {
    const r = trigger.getBoundingClientRect();
    bubble.style.left = "0px";
    bubble.style.top = "0px";
    const bw = bubble.offsetWidth, bh = bubble.offsetHeight;
    const left = Math.max(8, Math.min(r.left, window.innerWidth - bw - 8));
    const below = r.bottom + 6 + bh <= window.innerHeight - 8;
    bubble.style.left = `${left}px`;
    bubble.style.top = `${below ? r.bottom + 6 : Math.max(8, r.top - bh - 6)}px`;
  };
  const show = () => { wrap.classList.add("open"); place(); };
  const hide = () => { if (!pinned) wrap.classList.remove("open"); };
  const unpin = () => { pinned = false; trigger.setAttribute("aria-expanded", "false"); wrap.classList.remove("open"); };
  trigger.addEventListener("click", () => {
    pinned = !pinned;
    trigger.setAttribute("aria-expanded", String(pinned));
    if (pinned) show(); else unpin();
  });
  trigger.addEventListener("mouseenter", show);
  trigger.addEventListener("mouseleave", hide);
  trigger.addEventListener("focus", show);
  trigger.addEventListener("blur", unpin);
  trigger.addEventListener("keydown", (e) => { if (e.key === "Escape" && wrap.classList.contains("open")) { e.stopPropagation(); unpin(); } });
  wrap.closeTip = unpin;
  closeOnScroll();
  return wrap;
}
