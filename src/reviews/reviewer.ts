/** @module The reviewer rule: who reviews one person's access — their manager, the app's owner, or the fallback — never themselves. */

import { RosterError } from '../core/errors.js';
import type { ReviewerReason, ReviewerRule } from '../store/reviews.js';

export interface ReviewerCandidates {
  /** The person whose access is reviewed (null: an account nobody in HR owns). */
  person: { email: string; managerEmail: string | null } | null;
  /** The app's `owner` in roster.yaml. */
  appOwner: string | null;
  /** The fallback reviewer's own manager, for the fallback's own access. */
  fallbackManager?: string | null;
}

export interface PickedReviewer {
  reviewer: string;
  reason: ReviewerReason;
}

const norm = (email: string | null | undefined): string | null => {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
};

/** Whether `reviewer` would be reviewing their own access. */
export function isSelfReview(reviewer: string, person: { email: string } | null): boolean {
  return person !== null && norm(reviewer) === norm(person.email);
}

/**
 * The first source in the rule's order that names someone other than the person reviewed; else the fallback.
 * A source that names the person themselves (a manager who owns the app) is skipped and the item is marked
 * `self_review`, so the campaign shows why it went to the fallback.
 */
export function pickReviewer(rule: ReviewerRule, candidates: ReviewerCandidates): PickedReviewer {
  const { person } = candidates;
  let selfSkipped = false;
  for (const source of rule.order) {
    const named = norm(source === 'manager' ? person?.managerEmail : candidates.appOwner);
    if (named === null) continue;
    if (isSelfReview(named, person)) {
      selfSkipped = true;
      continue;
    }
    return { reviewer: named, reason: source };
  }
  const fallback = norm(rule.fallback);
  if (fallback === null) {
    throw new RosterError('invalid_input', 'an access review needs a fallback reviewer', {
      where: 'fallback',
      fix: 'name one (an email), e.g. --fallback security@acme.com',
    });
  }
  if (!isSelfReview(fallback, person)) {
    return { reviewer: fallback, reason: selfSkipped ? 'self_review' : 'fallback' };
  }
  // The fallback's own access goes to their manager; nobody signs off on their own access.
  const above = norm(candidates.fallbackManager);
  if (above !== null && !isSelfReview(above, person)) return { reviewer: above, reason: 'self_review' };
  throw new RosterError(
    'invalid_input',
    `the fallback reviewer ${fallback} holds access in this campaign and has no manager in the HR export to review it`,
    {
      where: 'fallback',
      fix: 'name a fallback reviewer who is not in the scope, or give them a manager in the HR export',
    },
  );
}
