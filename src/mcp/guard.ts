/**
 * @module The line an MCP session cannot cross, in the words its tools use: it reads and proposes; a person
 * approves and applies. No tool here calls approve, apply, link, unlink or edits the policy (a test checks the
 * imports), so no token, scope or argument can make one do it.
 */

/** Said in the server's instructions and in every tool that proposes. */
export const READ_AND_PROPOSE_ONLY =
  'Roster over MCP reads the identity graph and proposes changes as saved plans. It cannot approve or apply a ' +
  'plan, link or unlink an account, or change the policy, whatever the token: a person approves with ' +
  '`roster approve <plan> --by <name>` (or in the web console) and applies with `roster apply <plan>`, and the ' +
  'audit log shows who proposed each plan and who approved it. Tell the user where to approve.';

/** What the user must do with a proposed plan, for the answer and its summary. */
export function howToApprove(planId: string): string {
  return (
    `A person approves it with \`roster approve ${planId} --by <their name>\` (or in the console) and applies it ` +
    `with \`roster apply ${planId}\`; the audit log records who proposed it and who approved it.`
  );
}
