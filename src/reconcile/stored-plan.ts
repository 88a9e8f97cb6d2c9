/**
 * @module How a plan is kept in the store: each op once, in its own row (`target` holds all but the columns), and
 * the body without the ops. The body is rebuilt from the rows when a reader wants the whole plan.
 */

import type { OpInput, OpKind, OpRecord, OpSource } from '../store/store.js';
import type { PlanOp } from './diff.js';

/** The plan's ops as the store keeps them: everything but the columns goes in `target`, dependencies by seq. */
export function toOpInputs(ops: readonly PlanOp[]): OpInput[] {
  const source = toOpSource(ops);
  return Array.from({ length: source.count }, (_, i) => source.op(i));
}

/**
 * toOpInputs one op at a time, as the store writes them: a plan of tens of thousands of ops keeps no copy of each
 * while it is saved (the copies are made, and dropped, one by one).
 */
export function toOpSource(ops: readonly PlanOp[]): OpSource {
  // Each op's seq by ref, made when the first op with dependencies asks: most plans have none.
  let seqs: Map<string, number> | undefined;
  const seqOf = () => {
    if (seqs === undefined) {
      seqs = new Map();
      for (let i = 0; i < ops.length; i++) seqs.set((ops[i] as PlanOp).ref, i + 1);
    }
    return seqs;
  };
  return { count: ops.length, op: (i) => opInputOf(ops[i] as PlanOp, seqOf) };
}

function opInputOf(op: PlanOp, seqsByRef: () => ReadonlyMap<string, number>): OpInput {
  const { appId, kind, dependsOn, requiresApproval } = op;
  const target = targetOf(op);
  // Most ops depend on nothing: their input has no list (the store reads that as none), and `target` no
  // dependsOnRefs (planOpOf reads it back as []).
  if (dependsOn.length === 0) return { appId, kind: kind as OpKind, target, requiresApproval };
  const seqOf = seqsByRef();
  const seqs: number[] = [];
  for (const ref of dependsOn) {
    const seq = seqOf.get(ref);
    if (seq !== undefined) seqs.push(seq);
  }
  target['dependsOnRefs'] = dependsOn;
  return { appId, kind: kind as OpKind, target, dependsOn: seqs, requiresApproval };
}

/**
 * The op without its columns, its keys in the op's order. Copied key by key, not by a rest pattern: the rest
 * takes V8's generic path, twice as slow on a plan's tens of thousands of ops (measured).
 */
function targetOf(op: PlanOp): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  for (const key in op) {
    if (key === 'appId' || key === 'kind' || key === 'dependsOn' || key === 'requiresApproval') continue;
    target[key] = op[key as keyof PlanOp];
  }
  return target;
}

/** The plan op as diff made it, from what the store keeps. */
export function planOpOf(record: OpRecord): PlanOp {
  const target = record.target as Record<string, unknown> & { dependsOnRefs?: string[] };
  const { dependsOnRefs } = target;
  // Most ops depend on nothing and are copied whole: a spread that leaves a key out takes V8's slow path, which
  // showed in apply's profile (an op is read as its plan op several times on its way).
  const rest = dependsOnRefs === undefined ? target : withoutDependsOnRefs(target);
  return {
    ...(rest as unknown as Omit<PlanOp, 'appId' | 'kind' | 'dependsOn' | 'requiresApproval'>),
    appId: record.appId,
    kind: record.kind,
    dependsOn: dependsOnRefs ?? [],
    requiresApproval: record.requiresApproval,
  };
}

function withoutDependsOnRefs(target: Record<string, unknown>): Record<string, unknown> {
  const { dependsOnRefs: _refs, ...rest } = target;
  return rest;
}

/** The body to store: all of it but the ops, which the op rows already hold. */
export function storedBodyOf<B extends { ops: readonly unknown[] }>(body: B): Omit<B, 'ops'> {
  const { ops: _ops, ...rest } = body;
  return rest;
}

/**
 * The whole body of a saved plan: as stored, with its ops rebuilt from the op rows (in seq order). Plans saved
 * before the ops were split out still carry theirs in the body; those are kept as they are.
 */
export function bodyWithOps<B extends { ops: PlanOp[] }>(stored: unknown, records: readonly OpRecord[]): B {
  const body = stored as Partial<B>;
  if (Array.isArray(body.ops)) return body as B;
  return { ...body, ops: [...records].sort((a, b) => a.seq - b.seq).map(planOpOf) } as B;
}
