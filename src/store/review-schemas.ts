/** @module The shape of what a review item is about, as stored and as the API shows it (one schema for both). */

import { z } from 'zod';
import { REVIEW_DECISIONS } from './reviews.js';

export const reviewSubjectSchema = z.object({
  accountEmail: z.string(),
  accountStatus: z.string(),
  entitlement: z
    .object({ id: z.string(), kind: z.string(), name: z.string(), privileged: z.boolean() })
    .nullable(),
  privileged: z.boolean(),
  person: z
    .object({
      employeeId: z.string(),
      email: z.string(),
      name: z.string(),
      managerEmail: z.string().nullable(),
    })
    .nullable(),
  lastActivity: z.string().nullable(),
  findings: z.array(z.string()),
  suggestion: z.object({ decision: z.enum(REVIEW_DECISIONS), why: z.string() }).nullable(),
});
