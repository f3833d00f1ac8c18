// The heading's buttons for many people at once: "Invite several" (the
// sidebar in sidebar-invite-several.js) and "Export CSV" (export-csv.js).
// The table draws them (its headActions) each time it draws its heading.

import { button } from "./dom.js";
import { openInviteSeveralSidebar } from "./sidebar-invite-several.js";
import { createExport } from "./export-csv.js";

/**
 * createBulkActions returns { buttons }, for createTeamTable's headActions.
 * team() returns the team table (made after this); track(close) records
 * the open sidebar, as the page does for every sidebar.
 */
export function createBulkActions({ api, context, view, businessId, team, track }) {
  let inviteSeveral = null, exportCsv = null;
  const runExport = createExport({ api, businessId, context, view, exportButton: () => exportCsv });
  // Both need the business's tabs, which arrive with the team.
  const ready = () => context.tabs.length > 0;

  function buttons() {
    inviteSeveral = button("Invite several", {
      class: "btn btn-secondary", id: "invite-several-open",
      onclick: () => { if (ready()) track(openInviteSeveralSidebar({ api, context, team: team(), returnFocus: () => inviteSeveral })); },
    }, "users");
    exportCsv = button("Export CSV", { class: "btn btn-secondary", id: "export-csv", onclick: () => { if (ready()) runExport(); } });
    return [exportCsv, inviteSeveral];
  }

  return { buttons };
}
