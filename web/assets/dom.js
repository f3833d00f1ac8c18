// Small DOM helpers: element creation without innerHTML (so user data is
// never parsed as markup), buttons and their busy state, modal sheets and
// dialogs with a focus trap, the row actions menu, and toasts.

/**
 * h creates an element. attrs: "class", "text", "on<event>" handlers,
 * boolean attributes (true sets, false/null/undefined omits), others as
 * attributes. Children may be nodes, strings, arrays, or falsy (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") el.textContent = v;
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string" && k !== "list") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c);
  }
}

/** svg returns an inline icon from a path list (decorative, hidden from AT). */
export function icon(name) {
  const paths = ICONS[name] || [];
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "icon");
  for (const d of paths) {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", d);
    svg.append(p);
  }
  return svg;
}

/** button builds a plain button with an optional leading icon. */
export function button(label, attrs = {}, iconName) {
  return h("button", { type: "button", class: "btn", ...attrs }, iconName ? icon(iconName) : null, h("span", { text: label }));
}

/**
 * setBusy disables a button while its work runs and can relabel it, such as
 * "Sending…", so a second click cannot send the same request twice.
 */
export function setBusy(btn, busy, label) {
  btn.disabled = busy;
  btn.classList.toggle("busy", busy);
  if (label) btn.querySelector("span").textContent = label;
}

const ICONS = {
  search: ["M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M20 20l-4-4"],
  locate: ["M12 19a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M12 2v3", "M12 19v3", "M2 12h3", "M19 12h3"],
  "arrow-up": ["M12 19V5", "M6 11l6-6 6 6"],
  "arrow-down": ["M12 5v14", "M6 13l6 6 6-6"],
  "chevron-left": ["M15 18l-6-6 6-6"],
  "chevron-right": ["M9 18l6-6-6-6"],
  plus: ["M12 5v14", "M5 12h14"],
  close: ["M6 6l12 12", "M18 6L6 18"],
  dots: ["M12 5.5h.01", "M12 12h.01", "M12 18.5h.01"],
  edit: ["M4 20h4l10.5-10.5a2.12 2.12 0 0 0-3-3L5 17v3z", "M13.5 6.5l3 3"],
  shield: ["M12 3l7 3v5c0 4.5-3 8.5-7 10-4-1.5-7-5.5-7-10V6l7-3z", "M9 12l2 2 4-4"],
  trash: ["M4 7h16", "M10 11v6", "M14 11v6", "M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2l1-12", "M9 7V4h6v3"],
  users: ["M16 19v-1a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v1", "M9 10a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z", "M22 19v-1a4 4 0 0 0-3-3.87", "M16 3.13a3.5 3.5 0 0 1 0 6.75"],
  lock: ["M6 11h12v10H6z", "M8 11V7a4 4 0 0 1 8 0v4"],
  alert: ["M12 9v4", "M12 17h.01", "M10.3 3.9L2 18a2 2 0 0 0 1.7 3h16.6a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"],
  check: ["M5 12l5 5L20 7"],
  logout: ["M15 17l5-5-5-5", "M20 12H9", "M12 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h7"],
  refresh: ["M20 11a8 8 0 1 0-2.3 5.7", "M20 4v7h-7"],
  info: ["M12 16v-5", "M12 8h.01", "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z"],
  clock: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M12 7v5l3 2"],
  key: ["M8 20a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M10.8 13.2L20 4", "M17 7l2 2", "M14.5 9.5l2 2"],
  user: ["M20 21v-1a5 5 0 0 0-5-5H9a5 5 0 0 0-5 5v1", "M12 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z"],
};

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** focusables lists the elements Tab can reach inside root, in order. */
export function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => !el.closest("[hidden]") && el.getClientRects().length > 0);
}

/**
 * openDialog shows a <dialog> modally (the rest of the page becomes inert),
 * keeps Tab inside it, closes it on Escape, and gives focus back to the
 * element that had it (or to returnFocus()) when it closes. It returns
 * close(); onClose runs once after closing. beforeClose(), when given, is
 * asked first when the person closes it (Escape, a backdrop click): false
 * keeps it open, so a form can ask before its changes are lost.
 */
export function openDialog(dialog, { initialFocus, returnFocus, onClose, beforeClose } = {}) {
  const opener = document.activeElement;
  document.body.append(dialog);
  dialog.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    // showModal already makes the page inert; wrapping here keeps focus off
    // the browser's own controls too, so Tab cycles inside the dialog.
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0], last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    dialog.classList.add("closing");
    const finish = () => {
      if (dialog.open) dialog.close();
      dialog.remove();
      const target = (returnFocus && returnFocus()) || opener;
      if (target && target.isConnected) target.focus();
      if (onClose) onClose();
    };
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) finish();
    else setTimeout(finish, 120);
  };
  // Escape fires "cancel"; close through our path so focus is returned the same way.
  const request = () => { if (!beforeClose || beforeClose() !== false) close(); };
  dialog.addEventListener("cancel", (e) => { e.preventDefault(); request(); });
  // A click on the backdrop closes; the backdrop's clicks target the dialog
  // itself, as do clicks on its padding, so tell them apart by position.
  dialog.addEventListener("click", (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) request();
  });
  dialog.showModal();
  const target = (initialFocus && initialFocus()) || focusables(dialog)[0];
  if (target) target.focus();
  return close;
}

/**
 * openMenu shows a menu of actions under (or above) the trigger button and
 * makes it keyboard operable: arrows, Home/End move, Enter/Space activate,
 * Escape or Tab close and return focus to the trigger. items:
 * [{label, icon, danger, disabled, hint, run}].
 */
export function openMenu(trigger, items, { label } = {}) {
  closeMenus();
  const menu = h("div", { class: "menu", role: "menu", "aria-label": label, id: "row-menu" });
  const buttons = items.map((it) =>
    h("button", {
      type: "button", role: "menuitem", tabindex: "-1",
      class: "menu-item" + (it.danger ? " danger" : ""),
      "aria-disabled": it.disabled ? "true" : null,
      title: it.hint || null,
      onclick: () => { if (it.disabled) return; close(false); it.run(); },
    }, icon(it.icon), h("span", { class: "menu-label" }, it.label,
      it.disabled && it.hint ? h("span", { class: "menu-hint" }, it.hint) : null)));
  menu.append(...buttons);
  document.body.append(menu);
  trigger.setAttribute("aria-expanded", "true");
  trigger.setAttribute("aria-controls", menu.id);

  const r = trigger.getBoundingClientRect();
  const mw = menu.offsetWidth, mh = menu.offsetHeight;
  const left = Math.max(8, Math.min(r.right - mw, window.innerWidth - mw - 8));
  const below = r.bottom + 4 + mh <= window.innerHeight - 8;
  menu.style.left = `${left}px`;
  menu.style.top = `${below ? r.bottom + 4 : Math.max(8, r.top - mh - 4)}px`;

  let index = 0;
  const focusAt = (i) => { index = (i + buttons.length) % buttons.length; buttons[index].focus(); };
  menu.addEventListener("keydown", (e) => {
    switch (e.key) {
      case "ArrowDown": e.preventDefault(); focusAt(index + 1); break;
      case "ArrowUp": e.preventDefault(); focusAt(index - 1); break;
      case "Home": e.preventDefault(); focusAt(0); break;
      case "End": e.preventDefault(); focusAt(buttons.length - 1); break;
      case "Escape": e.preventDefault(); close(true); break;
      case "Tab": close(false); break;
      case " ": e.preventDefault(); buttons[index].click(); break;
    }
  });
  const outside = (e) => { if (!menu.contains(e.target) && e.target !== trigger && !trigger.contains(e.target)) close(false); };
  const onScroll = () => close(false);
  document.addEventListener("mousedown", outside, true);
  // Scrolling closes the menu, but not the scroll that brought its button
  // into view just before (focusing a button below the fold scrolls to
  // it, and that scroll's event can arrive after Enter opened the menu):
  // the listeners start two frames later.
  requestAnimationFrame(() => requestAnimationFrame(() => {
    if (closed) return;
    window.addEventListener("resize", onScroll);
    window.addEventListener("scroll", onScroll, true);
  }));

  let closed = false;
  function close(refocus) {
    if (closed) return;
    closed = true;
    menu.remove();
    trigger.setAttribute("aria-expanded", "false");
    trigger.removeAttribute("aria-controls");
    document.removeEventListener("mousedown", outside, true);
    window.removeEventListener("resize", onScroll);
    window.removeEventListener("scroll", onScroll, true);
    if (refocus) trigger.focus();
  }
  menu.closeMenu = close;
  focusAt(0);
  return close;
}

/** closeMenus closes an open row menu, if any. */
export function closeMenus() {
  const open = document.getElementById("row-menu");
  if (open && open.closeMenu) open.closeMenu(false);
}

/**
 * toast shows a short message in the live region, so screen readers announce
 * it, and removes it after a few seconds.
 */
export function toast(message, { kind = "success" } = {}) {
  // While a modal dialog is open the rest of the page is inert, and screen
  // readers would not hear the live region: wait (briefly) for it to close.
  const start = Date.now();
  const show = () => {
    if (document.querySelector("dialog[open]") && Date.now() - start < 2000) setTimeout(show, 40);
    else showToast(message, kind);
  };
  show();
}

function showToast(message, kind) {
  const region = document.getElementById("toasts");
  const item = h("div", { class: `toast ${kind}` }, icon(kind === "error" ? "alert" : "check"), h("span", { text: message }));
  region.append(item);
  setTimeout(() => { item.classList.add("leaving"); setTimeout(() => item.remove(), 200); }, kind === "error" ? 7000 : 4500);
}
