/**
 * @module One learnt request pace per app shared by every worker: RatePacer's state held in Redis and changed only
 * by Lua that mirrors its rules (src/connectors/http/pacer.ts), so N workers send at the pace one worker would learn.
 */

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  DEFAULT_PACER,
  type PacerOptions,
  type PaceState,
  type PaceTicket,
  type RequestPacer,
} from '../connectors/http/index.js';

/** PaceState's fields in the order the scripts read and return them. */
const FIELDS = [
  'rate',
  'nextAt',
  'epoch',
  'cutEpoch',
  'startedAt',
  'acceptedTotal',
  'emptyAt',
  'acceptedSinceEmpty',
  'lastRejectedAt',
  'acceptedSinceRejected',
  'measured',
] as const satisfies readonly (keyof PaceState)[];

/**
 * What every script starts with. KEYS: state hash. ARGV: now in ms ('' reads Redis TIME: one clock for every
 * worker), the PacerOptions (headroom, decrease, floor, increase, probe, minWindowMs, minRate), the idle ms after
 * which the state is dropped, then the script's own. Absent fields are a RatePacer's initial nulls; the state is
 * written back whole and expires when no worker touched it for the idle time (a fresh cluster learns afresh, as a
 * fresh process does). Numbers leave as %.17g strings: Redis would truncate a Lua number reply to an integer.
 */
const PRELUDE = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local o = { headroom = tonumber(ARGV[2]), decrease = tonumber(ARGV[3]), floor = tonumber(ARGV[4]),
  increase = tonumber(ARGV[5]), probe = tonumber(ARGV[6]), minWindowMs = tonumber(ARGV[7]),
  minRate = tonumber(ARGV[8]) }
local idleMs = tonumber(ARGV[9])
local FIELDS = {${FIELDS.map((f) => `'${f}'`).join(', ')}}
local raw = redis.call('HMGET', KEYS[1], unpack(FIELDS))
local s = {}
for i, f in ipairs(FIELDS) do s[f] = tonumber(raw[i]) end
s.epoch = s.epoch or 0
s.cutEpoch = s.cutEpoch or 0
s.startedAt = s.startedAt or now
s.acceptedTotal = s.acceptedTotal or 0
s.acceptedSinceEmpty = s.acceptedSinceEmpty or 0
s.acceptedSinceRejected = s.acceptedSinceRejected or 0
local function num(x)
  if x == nil then return '' end
  return string.format('%.17g', x)
end
local function save()
  local args = {}
  for _, f in ipairs(FIELDS) do
    local v = s[f]
    if v ~= nil and v > -math.huge then
      args[#args + 1] = f
      args[#args + 1] = num(v)
    end
  end
  redis.call('HSET', KEYS[1], unpack(args))
  redis.call('PEXPIRE', KEYS[1], idleMs)
end
local function reply(extra)
  local out = {}
  for i, f in ipairs(FIELDS) do
    if s[f] == -math.huge then out[i] = '' else out[i] = num(s[f]) end
  end
  out[#FIELDS + 1] = extra
  return out
end
`;

/** reservePace: returns the state and the wait in ms. */
const RESERVE = `${PRELUDE}
local wait = 0
if s.rate ~= nil then
  local at = math.max(now, s.nextAt or -math.huge)
  s.nextAt = at + 1000 / s.rate
  wait = at - now
end
save()
return reply(num(wait))
`;

/** acceptPace: returns the state. */
const ACCEPT = `${PRELUDE}
s.acceptedTotal = s.acceptedTotal + 1
s.acceptedSinceEmpty = s.acceptedSinceEmpty + 1
s.acceptedSinceRejected = s.acceptedSinceRejected + 1
if s.rate ~= nil then
  if s.measured == nil then s.rate = s.rate * (1 + o.probe) else s.rate = s.rate * (1 + o.increase) end
end
save()
return reply('')
`;

/** rejectPace; ARGV[10]: the ticket's epoch. Returns the state and the new rate when it changed ('' if not). */
const REJECT = `${PRELUDE}
local epoch = tonumber(ARGV[10])
local measured = nil
local hint = nil
if s.lastRejectedAt ~= nil and now > s.lastRejectedAt then
  hint = (s.acceptedSinceRejected * 1000) / (now - s.lastRejectedAt)
end
s.lastRejectedAt = now
s.acceptedSinceRejected = 0
if s.emptyAt == nil then
  s.emptyAt = now
  s.acceptedSinceEmpty = 0
elseif now - s.emptyAt >= o.minWindowMs then
  measured = (s.acceptedSinceEmpty * 1000) / (now - s.emptyAt)
  s.emptyAt = now
  s.acceptedSinceEmpty = 0
end
if measured == nil and epoch ~= s.epoch then
  save()
  return reply('')
end
local before = s.rate
local rate
if s.rate == nil then
  if s.acceptedTotal < 2 then
    save()
    return reply('')
  end
  rate = ((s.acceptedTotal * 1000) / math.max(1, now - s.startedAt)) * o.decrease
elseif measured ~= nil then
  s.measured = math.max(measured, s.rate * o.floor)
  rate = s.measured * o.headroom
else
  local most = s.rate * o.decrease
  local least = s.rate * o.floor
  if hint ~= nil then rate = math.min(least, math.max(most, hint * o.headroom))
  elseif s.measured == nil then rate = most
  else rate = least end
end
rate = math.max(o.minRate, rate)
s.rate = rate
s.epoch = s.epoch + 1
if before == nil or rate < before then
  s.cutEpoch = s.epoch
  s.nextAt = now + 1000 / rate
else
  s.nextAt = math.max(s.nextAt or -math.huge, now + 1000 / rate)
end
save()
if rate == before then return reply('') end
return reply(num(rate))
`;

/** Reads the state without changing it (and without refreshing its expiry). */
const READ = `${PRELUDE}
return reply('')
`;

const digests = new Map<string, string>();
function digest(script: string): string {
  let found = digests.get(script);
  if (found === undefined) {
    found = createHash('sha1').update(script).digest('hex');
    digests.set(script, found);
  }
  return found;
}

export interface SharedPacerOptions {
  /** Key prefix, so several Roster installations can share one Redis. */
  prefix?: string;
  pacing?: Partial<PacerOptions>;
  /** An app nobody sent to for this long (ms) is learnt afresh: its pace may have changed meanwhile. */
  idleMs?: number;
  /** Told when a Redis call failed; the request goes on unpaced (the app's 429s and the backoff still hold it). */
  onError?: (error: unknown) => void;
  /** Tests only: the time in ms instead of Redis TIME (proving the scripts decide as RatePacer does). */
  now?: () => number;
}

/** The key an app's pace lives under. */
export function paceKey(prefix: string, appId: string): string {
  return `${prefix}:pace:${appId}`;
}

function parseState(reply: readonly string[]): PaceState {
  const value = (i: number): number | null => (reply[i] === '' ? null : Number(reply[i]));
  const state = {} as Record<(typeof FIELDS)[number], number | null>;
  FIELDS.forEach((field, i) => {
    state[field] = value(i);
  });
  return {
    ...(state as unknown as PaceState),
    nextAt: state.nextAt ?? Number.NEGATIVE_INFINITY,
  };
}

/**
 * A RequestPacer whose pace is one app's, across every process that uses the same Redis: a cut one worker's 429
 * makes is every worker's pace, the send times every worker reserves are spaced on one schedule, and the rate is
 * measured from what the app accepted from all of them. Nothing is held: a reservation is a time on the schedule,
 * so a killed worker leaves at most the few send times it had reserved unused.
 */
export class SharedPacer implements RequestPacer {
  private known: number | null = null;
  private readonly key: string;
  private readonly pacing: PacerOptions;
  private readonly idleMs: number;
  /** The last fire-and-forget signal, so a test can wait for Redis to have seen it. */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    appId: string,
    private readonly options: SharedPacerOptions = {},
  ) {
    this.key = paceKey(options.prefix ?? 'roster', appId);
    this.pacing = { ...DEFAULT_PACER, ...options.pacing };
    this.idleMs = Math.max(1000, Math.floor(options.idleMs ?? 600_000));
  }

  get requestsPerSecond(): number | null {
    return this.known;
  }

  private async run(script: string, ...extra: (string | number)[]): Promise<string[]> {
    const p = this.pacing;
    const args: [number, string, ...(string | number)[]] = [
      1,
      this.key,
      this.options.now ? String(this.options.now()) : '',
      p.headroom,
      p.decrease,
      p.floor,
      p.increase,
      p.probe,
      p.minWindowMs,
      p.minRate,
      this.idleMs,
      ...extra,
    ];
    // By its digest: the script is sent once per Redis (twice a request otherwise), again only after a restart.
    let reply: string[];
    try {
      reply = (await this.redis.evalsha(digest(script), ...args)) as string[];
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      reply = (await this.redis.eval(script, ...args)) as string[];
    }
    const rate = reply[0];
    this.known = rate === undefined || rate === '' ? null : Number(rate);
    return reply;
  }

  async reserve(): Promise<PaceTicket> {
    try {
      const reply = await this.run(RESERVE);
      return { waitMs: Number(reply[FIELDS.length]), epoch: Number(reply[FIELDS.indexOf('epoch')]) };
    } catch (error) {
      this.options.onError?.(error);
      return { waitMs: 0, epoch: -1 };
    }
  }

  async stale(ticket: Pick<PaceTicket, 'epoch'>): Promise<boolean> {
    try {
      const cut = await this.redis.hget(this.key, 'cutEpoch');
      return ticket.epoch < Number(cut ?? 0);
    } catch (error) {
      this.options.onError?.(error);
      return false;
    }
  }

  accepted(): void {
    // Not awaited: the request's answer is not held back; commands on one connection reach Redis in order.
    this.pending = this.run(ACCEPT).catch((error: unknown) => this.options.onError?.(error));
  }

  async rejected(ticket: Pick<PaceTicket, 'epoch'>): Promise<number | null> {
    try {
      const reply = await this.run(REJECT, ticket.epoch);
      const changed = reply[FIELDS.length];
      return changed === undefined || changed === '' ? null : Number(changed);
    } catch (error) {
      this.options.onError?.(error);
      return null;
    }
  }

  /** The pace as Redis holds it now, once the signals sent so far have reached it (for tests and metrics). */
  async state(): Promise<PaceState> {
    await this.pending;
    return parseState(await this.run(READ));
  }
}
