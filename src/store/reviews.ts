/** @module Access-review records as the store keeps them: a campaign, its frozen items, and each item's decision. */

export const REVIEW_STATUSES = ['open', 'closed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const REVIEW_DECISIONS = ['keep', 'revoke', 'change'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** Why an item went to its reviewer: the rule that picked them, or what moved it there later. */
export const REVIEWER_REASONS = [
  'manager',
  'owner',
  'fallback',
  'self_review',
  'delegated',
  'reassigned',
  'escalated',
] as const;
export type ReviewerReason = (typeof REVIEWER_REASONS)[number];

/** Which accounts a campaign reviews: all of them, the privileged ones, or those the graph has findings on. */
export const REVIEW_SELECTIONS = ['all', 'privileged', 'findings'] as const;
export type ReviewSelection = (typeof REVIEW_SELECTIONS)[number];

export const REVIEWER_SOURCES = ['manager', 'owner'] as const;
export type ReviewerSource = (typeof REVIEWER_SOURCES)[number];

export interface ReviewScope {
  apps: string[];
  select: ReviewSelection;
}

/** Who reviews an item: the first source that names someone other than the person reviewed, else the fallback. */
export interface ReviewerRule {
  order: ReviewerSource[];
  fallback: string;
}

/** close: revocations are planned when the campaign closes; decided: each revoke is planned as it comes. */
export type RevokeWhen = 'close' | 'decided';

export interface ReviewRecord {
  id: string;
  name: string;
  scope: ReviewScope;
  rule: ReviewerRule;
  dueAt: string;
  revokeWhen: RevokeWhen;
  status: ReviewStatus;
  createdAt: string;
  createdBy: string;
  closedAt: string | null;
  closedBy: string | null;
  /** The plans the campaign's revocations went into. */
  planIds: string[];
}

/** What was reviewed, frozen when the campaign started: later syncs do not change it. */
export interface ReviewSubject {
  accountEmail: string;
  accountStatus: string;
  entitlement: { id: string; kind: string; name: string; privileged: boolean } | null;
  privileged: boolean;
  person: { employeeId: string; email: string; name: string; managerEmail: string | null } | null;
  lastActivity: string | null;
  /** Finding rules the graph raised on the account (leaver_with_access, orphan, dormant...). */
  findings: string[];
  /** What the findings suggest, before anyone decided. */
  suggestion: { decision: ReviewDecision; why: string } | null;
}

export interface ReviewerMove {
  from: string;
  to: string;
  reason: ReviewerReason;
  by: string;
  at: string;
  note?: string;
}

export interface ReviewItemRecord {
  reviewId: string;
  seq: number;
  appId: string;
  accountId: string;
  subject: ReviewSubject;
  reviewer: string;
  reviewerReason: ReviewerReason;
  history: ReviewerMove[];
  decision: ReviewDecision | null;
  /** change: the entitlement name the access should become. */
  changeTo: string | null;
  comment: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  remindedAt: string | null;
  escalatedAt: string | null;
  planId: string | null;
  opSeq: number | null;
  /** When a sync after the op showed the access gone, and which run showed it. */
  verifiedAt: string | null;
  verifiedBy: string | null;
}

export type NewReview = Pick<ReviewRecord, 'name' | 'scope' | 'rule' | 'dueAt' | 'revokeWhen' | 'createdBy'>;
export type NewReviewItem = Pick<
  ReviewItemRecord,
  'appId' | 'accountId' | 'subject' | 'reviewer' | 'reviewerReason'
>;
export type ReviewPatch = Partial<Pick<ReviewRecord, 'status' | 'closedAt' | 'closedBy' | 'planIds'>>;
export type ReviewItemPatch = Partial<
  Pick<
    ReviewItemRecord,
    | 'reviewer'
    | 'reviewerReason'
    | 'history'
    | 'decision'
    | 'changeTo'
    | 'comment'
    | 'decidedBy'
    | 'decidedAt'
    | 'remindedAt'
    | 'escalatedAt'
    | 'planId'
    | 'opSeq'
    | 'verifiedAt'
    | 'verifiedBy'
  >
>;
