// "Transfer ownership" (SPEC §2.8): the owner hands the business to another
// active manager, after a confirmation that names both people and what
// changes for each.

import { h, toast } from "./dom.js";
import { displayName } from "./format.js";
import { openConfirm } from "./confirm.js";

/** openTransferDialog asks to confirm and returns close(), or nothing if the table no longer holds them. */
export function openTransferDialog(email, { api, team, context, onTransferred }) {
  const user = team.userOf(email);
  if (!user) return undefined;
  const name = displayName(user);
  const me = team.userOf(context.me);
  const myName = me ? displayName(me) : context.me;
  const business = context.businessName || "this business";
  return openConfirm({
    id: "confirm-transfer", iconName: "shield",
    title: `Make ${name} the owner of ${business}?`,
    text: [
      h("p", {}, h("strong", { text: name }), ` (${user.email}) becomes the owner: nobody else can remove them or change their permissions or email.`),
      h("p", {}, h("strong", { text: `${myName} (you)` }), " will stay a manager with your current permissions, but no longer the owner. Only the new owner can hand ownership back."),
    ],
    confirmLabel: "Transfer ownership", busyLabel: "Transferring…", danger: true,
    returnFocus: () => team.actionButton(user.email),
    onConfirm: async (say) => {
      try {
        const owner = await api.transferOwnership(user.email);
        team.put(owner);
        toast(`${displayName(owner)} is now the owner of ${business}`);
        onTransferred(owner);
        return true;
      } catch (err) {
        if (err.status === 401) return true;
        say(err.message);
        return false;
      }
    },
  });
}
