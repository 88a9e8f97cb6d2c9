import { describe, expect, it } from 'vitest';
import type { ReviewerRule } from '../store/reviews.js';
import { isSelfReview, pickReviewer } from './reviewer.js';

const managerFirst: ReviewerRule = { order: ['manager', 'owner'], fallback: 'sec@acme.com' };
const ownerFirst: ReviewerRule = { order: ['owner', 'manager'], fallback: 'sec@acme.com' };
const jade = { email: 'jade@acme.com', managerEmail: 'dana@acme.com' };

describe('the reviewer rule', () => {
  it("the person's manager from the HR export reviews their access when the rule asks the manager first", () => {
    expect(pickReviewer(managerFirst, { person: jade, appOwner: 'owner@acme.com' })).toEqual({
      reviewer: 'dana@acme.com',
      reason: 'manager',
    });
  });

  it("the app's owner from roster.yaml reviews when asked first, or when the person has no manager", () => {
    expect(pickReviewer(ownerFirst, { person: jade, appOwner: 'Owner@Acme.com' })).toEqual({
      reviewer: 'owner@acme.com',
      reason: 'owner',
    });
    const noManager = { email: 'lina@acme.com', managerEmail: null };
    expect(pickReviewer(managerFirst, { person: noManager, appOwner: 'owner@acme.com' })).toEqual({
      reviewer: 'owner@acme.com',
      reason: 'owner',
    });
  });

  it('the fallback reviews what no source names: no manager, no owner, or an account nobody in HR owns', () => {
    expect(
      pickReviewer(managerFirst, { person: { email: 'a@acme.com', managerEmail: '' }, appOwner: null }),
    ).toEqual({ reviewer: 'sec@acme.com', reason: 'fallback' });
    expect(pickReviewer(managerFirst, { person: null, appOwner: null })).toEqual({
      reviewer: 'sec@acme.com',
      reason: 'fallback',
    });
  });

  it("an app owner's own access is never theirs to review: it goes to the fallback, marked self_review", () => {
    const owner = { email: 'dana@acme.com', managerEmail: null };
    expect(pickReviewer(ownerFirst, { person: owner, appOwner: 'dana@acme.com' })).toEqual({
      reviewer: 'sec@acme.com',
      reason: 'self_review',
    });
    // With a manager, the next source in the order answers instead.
    const managed = { email: 'dana@acme.com', managerEmail: 'ceo@acme.com' };
    expect(pickReviewer(ownerFirst, { person: managed, appOwner: 'dana@acme.com' })).toEqual({
      reviewer: 'ceo@acme.com',
      reason: 'manager',
    });
  });

  it("the fallback's own access goes to the fallback's manager, and without one the campaign is refused", () => {
    const fallback = { email: 'sec@acme.com', managerEmail: null };
    expect(
      pickReviewer(managerFirst, { person: fallback, appOwner: null, fallbackManager: 'ciso@acme.com' }),
    ).toEqual({ reviewer: 'ciso@acme.com', reason: 'self_review' });
    expect(() => pickReviewer(managerFirst, { person: fallback, appOwner: null })).toThrow(/fallback/);
  });

  it('self-review compares addresses without regard to case or spaces', () => {
    expect(isSelfReview(' Jade@ACME.com', jade)).toBe(true);
    expect(isSelfReview('dana@acme.com', jade)).toBe(false);
    expect(isSelfReview('dana@acme.com', null)).toBe(false);
  });
});
