/** @module `roster review`: access-review campaigns — start, list, show, decide, reassign, close, verify, remind, evidence. */

import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { ReviewDetail, ReviewItemView } from '../../app/index.js';
import { RosterError } from '../../core/errors.js';
import {
  REVIEW_DECISIONS,
  REVIEW_SELECTIONS,
  REVIEW_STATUSES,
  REVIEWER_SOURCES,
  type ReviewDecision,
  type ReviewerSource,
  type ReviewSelection,
  type ReviewStatus,
  type RevokeWhen,
} from '../../store/reviews.js';
import { createOutput, type Output } from '../output.js';
import { withRoster } from '../session.js';

// The core, the evidence renderers and the notifier load when a command runs, not for `roster --help`.
const app = () => import('../../app/index.js');
const renderers = () => import('../../reviews/evidence.js');
const notify = () => import('../../server/notify.js');

const json = (command: Command) => command.optsWithGlobals<{ json?: boolean }>().json ?? false;

function itemNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new RosterError('invalid_input', `"${value}" is not an item number`, {
      where: '<item>',
      fix: 'items are numbered from 1: roster review show <id> lists them',
    });
  }
  return n;
}

function parseOrder(value: string): ReviewerSource[] {
  const order = value.split(',').map((s) => s.trim());
  const bad = order.find((s) => !(REVIEWER_SOURCES as readonly string[]).includes(s));
  if (bad !== undefined) {
    throw new RosterError('invalid_input', `"${bad}" is not a reviewer source`, {
      where: '--order',
      fix: `use a comma-separated list of ${REVIEWER_SOURCES.join(', ')}`,
    });
  }
  return order as ReviewerSource[];
}

const describe = (i: ReviewItemView) =>
  `${i.subject.accountEmail || i.accountId}${i.subject.entitlement ? ` ${i.subject.entitlement.kind}:${i.subject.entitlement.name}` : ''}`;

function printDetail(out: Output, detail: ReviewDetail): void {
  const { review, progress, items } = detail;
  out.line(`review ${review.id} "${review.name}": ${review.status}, due ${review.dueAt}`);
  out.line(`scope: ${review.scope.select} access in ${review.scope.apps.join(', ')}`);
  out.line(
    `decided ${progress.decided}/${progress.total} (keep ${progress.keep}, revoke ${progress.revoke}, change ${progress.change})` +
      `${progress.overdue ? `, ${progress.overdue} overdue` : ''}; revocations planned ${progress.planned}, carried out ${progress.carriedOut}, verified ${progress.verified}`,
  );
  if (review.planIds.length > 0) out.line(`plans: ${review.planIds.join(', ')}`);
  out.line();
  out.table([
    ['#', 'app', 'access', 'person', 'findings', 'suggested', 'reviewer', 'decision', 'outcome'],
    ...items.map((i) => [
      String(i.seq),
      i.appId,
      describe(i),
      i.subject.person?.email ?? '(nobody in HR)',
      i.subject.findings.join(' '),
      i.subject.suggestion?.decision ?? '',
      `${i.reviewer} (${i.reviewerReason})`,
      i.decision ? `${i.decision}${i.changeTo ? ` → ${i.changeTo}` : ''}` : '-',
      i.verifiedAt ? 'verified' : (i.op?.status ?? (i.planId ? 'planned' : '')),
    ]),
  ]);
}

export function registerReviewCommands(program: Command): void {
  const review = program
    .command('review')
    .description(
      'access reviews: ask the right person whether access is still needed, and carry out the answer',
    );

  review
    .command('start')
    .description('start a campaign: freeze the access in scope and give each item its reviewer')
    .requiredOption('--fallback <email>', 'who reviews what no manager or owner can, and self-reviews')
    .option('--app <id...>', 'only these apps (default: all)')
    .addOption(new Option('--select <which>', 'which access').choices(REVIEW_SELECTIONS).default('all'))
    .option(
      '--order <sources>',
      'who reviews, in order (manager = HR manager, owner = the app owner)',
      'manager,owner',
    )
    .option('--due <date>', 'due date (YYYY-MM-DD)')
    .option('--due-in <days>', 'due in this many days (default 14)', Number)
    .option('--name <name>', 'what the campaign is called in the evidence')
    .addOption(
      new Option('--revoke-when <when>', 'plan revocations when the campaign closes, or as they are decided')
        .choices(['close', 'decided'])
        .default('close'),
    )
    .option('--json', 'print the campaign as JSON')
    .action(
      async (
        options: {
          fallback: string;
          app?: string[];
          select: ReviewSelection;
          order: string;
          due?: string;
          dueIn?: number;
          name?: string;
          revokeWhen: RevokeWhen;
        },
        command: Command,
      ) => {
        const out = createOutput({ json: json(command) });
        const started = await withRoster(command, async (roster) =>
          (await app()).startReview(roster, {
            name: options.name,
            apps: options.app,
            select: options.select,
            order: parseOrder(options.order),
            fallback: options.fallback,
            dueAt: options.due,
            dueInDays: options.dueIn,
            revokeWhen: options.revokeWhen,
          }),
        );
        out.result(started);
        printDetail(out, started);
        out.line(
          `\nNext: reviewers decide (API, or roster review decide ${started.review.id} <item> --as <email>).`,
        );
      },
    );

  review
    .command('list')
    .description('the campaigns, newest first, with their progress')
    .addOption(new Option('--status <status>').choices(REVIEW_STATUSES))
    .option('--json', 'print the campaigns as JSON')
    .action(async (options: { status?: ReviewStatus }, command: Command) => {
      const out = createOutput({ json: json(command) });
      const reviews = await withRoster(command, async (roster) =>
        (await app()).listReviews(roster, { status: options.status }),
      );
      out.result(reviews);
      if (reviews.length === 0)
        out.line('No access reviews: roster review start --fallback <email> starts one.');
      out.table(
        reviews.map(({ review: r, progress: p }) => [
          r.id,
          r.name,
          r.status,
          `due ${r.dueAt.slice(0, 10)}`,
          `${p.decided}/${p.total} decided`,
          `${p.verified}/${p.revoke + p.change} revocations verified`,
        ]),
      );
    });

  review
    .command('show <id>')
    .description('a campaign with its items, flagged first')
    .option('--reviewer <email>', "only this reviewer's items")
    .option('--json', 'print the campaign as JSON')
    .action(async (id: string, options: { reviewer?: string }, command: Command) => {
      const out = createOutput({ json: json(command) });
      const detail = await withRoster(command, async (roster) =>
        (await app()).showReview(roster, id, { reviewer: options.reviewer }),
      );
      out.result(detail);
      printDetail(out, detail);
    });

  review
    .command('decide <id> <item>')
    .description('record a reviewer decision on one item (only the item reviewer, never on their own access)')
    .requiredOption('--as <email>', 'the reviewer deciding')
    .addOption(new Option('--decision <decision>').choices(REVIEW_DECISIONS).makeOptionMandatory())
    .option('--comment <text>', 'why')
    .option('--to <entitlement>', 'change: the entitlement the access becomes')
    .option('--json', 'print the item as JSON')
    .action(
      async (
        id: string,
        item: string,
        options: { as: string; decision: ReviewDecision; comment?: string; to?: string },
        command: Command,
      ) => {
        const out = createOutput({ json: json(command) });
        const decided = await withRoster(command, async (roster) =>
          (await app()).decideItem(roster, {
            review: id,
            seq: itemNumber(item),
            as: options.as,
            decision: options.decision,
            comment: options.comment,
            changeTo: options.to,
          }),
        );
        out.result(decided);
        out.line(`item ${decided.seq} (${describe(decided)}): ${decided.decision} by ${decided.decidedBy}`);
      },
    );

  review
    .command('reassign <id> <item>')
    .description('move an undecided item to another reviewer (with --as: the reviewer delegates it)')
    .requiredOption('--to <email>', 'the new reviewer (never the person reviewed)')
    .option('--as <email>', 'the current reviewer, delegating')
    .option('--note <text>', 'why')
    .option('--json', 'print the item as JSON')
    .action(
      async (
        id: string,
        item: string,
        options: { to: string; as?: string; note?: string },
        command: Command,
      ) => {
        const out = createOutput({ json: json(command) });
        const moved = await withRoster(command, async (roster) =>
          (await app()).reassignItem(roster, { review: id, seq: itemNumber(item), ...options }),
        );
        out.result(moved);
        out.line(
          `item ${moved.seq} (${describe(moved)}) is now with ${moved.reviewer} (${moved.reviewerReason})`,
        );
      },
    );

  review
    .command('close <id>')
    .description('close a campaign; its revoke and change decisions become a plan to approve and apply')
    .option('--force', 'close with undecided items (the evidence shows them as not reviewed)')
    .option('--json', 'print the campaign as JSON')
    .action(async (id: string, options: { force?: boolean }, command: Command) => {
      const out = createOutput({ json: json(command) });
      const closed = await withRoster(command, async (roster) =>
        (await app()).closeReview(roster, { review: id, force: options.force }),
      );
      out.result(closed);
      printDetail(out, closed);
      out.line(
        closed.planId
          ? `\nRevocations planned in ${closed.planId}. Next: roster approve ${closed.planId} (if asked), roster apply ${closed.planId}, roster sync, roster review verify ${closed.review.id}.`
          : '\nNothing to revoke.',
      );
    });

  review
    .command('verify <id>')
    .description('mark the revocations a sync after their op shows gone from the app')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, _options: unknown, command: Command) => {
      const out = createOutput({ json: json(command) });
      const result = await withRoster(command, async (roster) => (await app()).verifyReview(roster, id));
      out.result(result);
      out.line(
        `verified: ${result.verified.join(', ') || 'none'}; waiting for an apply or a sync: ${result.pending.join(', ') || 'none'}`,
      );
    });

  review
    .command('remind')
    .description(
      "remind reviewers through roster.yaml's notification sinks; escalate overdue items to the manager",
    )
    .option('--json', 'print the reminders as JSON')
    .action(async (_options: unknown, command: Command) => {
      const out = createOutput({ json: json(command) });
      const result = await withRoster(command, async (roster) => {
        const reminded = await (await app()).remindReviews(roster);
        const notifier = new (await notify()).Notifier(
          roster.store,
          roster.config.server?.notifications ?? [],
          {
            publicUrl: roster.config.server?.publicUrl,
            clock: () => roster.now(),
            log: { warn: (_obj, msg) => out.warn(msg) },
          },
        );
        await (await notify()).announceReviewReminders(
          notifier,
          reminded,
          roster.now().toISOString().slice(0, 10),
        );
        await notifier.settle();
        return reminded;
      });
      out.result(result);
      for (const r of result.reminders) out.line(`remind ${r.reviewer}: ${r.items} item(s) in "${r.name}"`);
      for (const e of result.escalations)
        out.line(`escalated "${e.name}" item ${e.seq}: ${e.from} → ${e.to}`);
      if (result.reminders.length === 0) out.line('Nothing waiting for a reviewer.');
    });

  review
    .command('evidence <id>')
    .description("the auditor's evidence: CSV, or a printable HTML page (print it to PDF from a browser)")
    .addOption(new Option('--format <format>').choices(['csv', 'html']).default('csv'))
    .option('--out <file>', 'write it to this file instead of standard output')
    .action(async (id: string, options: { format: 'csv' | 'html'; out?: string }, command: Command) => {
      const evidence = await withRoster(command, async (roster) => (await app()).reviewEvidence(roster, id));
      const text =
        options.format === 'csv'
          ? (await renderers()).evidenceCsv(evidence)
          : (await renderers()).evidenceHtml(evidence);
      if (options.out) {
        writeFileSync(options.out, text);
        process.stderr.write(`evidence of ${evidence.rows.length} item(s) written to ${options.out}\n`);
      } else process.stdout.write(text);
    });
}
