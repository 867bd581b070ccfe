/**
 * Comparing what the server answered with what the model expects. Every mismatch throws a
 * `Mismatch` naming what was compared, the expectation and the answer.
 */
import type { Decision } from '../../src/policy/index.js';
import * as P from '../../src/policy/index.js';
import { httpStatus } from '../../src/http/refusals.js';
import type { Res } from '../helpers/harness.js';
import type { MemberView } from './model.js';

export class Mismatch extends Error {
  override name = 'Mismatch';
}

const show = (v: unknown) => JSON.stringify(v);

export function fail(what: string, expected: unknown, actual: unknown, res?: Res): never {
  throw new Mismatch(`${what}: expected ${show(expected)}, got ${show(actual)}${res ? `\n  answer: ${res.status} ${res.text.slice(0, 600)}` : ''}`);
}

export function eq(actual: unknown, expected: unknown, what: string, res?: Res): void {
  if (show(actual) !== show(expected)) fail(what, expected, actual, res);
}

export function oneOf<T>(actual: T, allowed: T[], what: string, res?: Res): void {
  if (!allowed.some((a) => show(a) === show(actual))) fail(`${what} (one of)`, allowed, actual, res);
}

/** The status, and the error code when the answer is an error. `code` may list the codes allowed. */
export function status(res: Res, expected: number | number[], code: string | string[] | undefined, what: string): void {
  const statuses = Array.isArray(expected) ? expected : [expected];
  if (!statuses.includes(res.status)) fail(`${what}: status`, expected, res.status, res);
  if (res.status >= 400 && code !== undefined) {
    const codes = Array.isArray(code) ? code : [code];
    const got = res.body?.error?.code;
    if (!codes.includes(got)) fail(`${what}: error code`, code, got, res);
  }
}

/**
 * Unlocks compared in order, except introduction paths: the server chooses how many to offer
 * (src/policy/facts.ts `introductions`), so each one it offers must be a valid path of the model's
 * (LENIENT in number, strict in validity), and it offers at least one when the model has one.
 */
export function unlocks(actual: unknown, expected: Decision['unlock'], what: string, res?: Res): void {
  const got = Array.isArray(actual) ? (actual as { kind: string; via?: string[] }[]) : [];
  const plain = (u: { kind: string }[]) => u.filter((x) => x.kind !== 'introduction');
  eq(plain(got), plain(expected), `${what}: unlock (introductions aside)`, res);
  const valid = new Set(expected.filter((u) => u.kind === 'introduction').map((u) => show((u as { via: string[] }).via)));
  const offered = got.filter((u) => u.kind === 'introduction');
  for (const u of offered) if (!valid.has(show(u.via))) fail(`${what}: introduction unlock not a valid path`, [...valid], u.via, res);
  if (valid.size > 0 && offered.length === 0) fail(`${what}: introduction unlocks`, `at least one of ${[...valid].join(' ')}`, 'none', res);
}

/** A decision as API.md `Decision`. */
export function decision(actual: any, expected: Decision, what: string, res?: Res): void {
  eq(
    { allowed: actual?.allowed, reason: actual?.reason, channel: actual?.channel, delivery: actual?.delivery, cost: actual?.cost },
    { allowed: expected.allowed, reason: expected.reason, channel: expected.channel, delivery: expected.delivery, cost: expected.cost },
    what,
    res,
  );
  unlocks(actual?.unlock, expected.unlock, what, res);
}

/** A refusal: the decision's HTTP status, its reason as code, and (403/429) its unlock. */
export function denial(res: Res, d: Decision, what: string, opts: { notFoundAlike?: boolean } = {}): void {
  const st = httpStatus(d);
  // LENIENT (notFoundAlike): API.md names `not_found` for a profile and `recipient_unavailable` for a
  // message or invitation; a follow or a block of a member who does not exist may answer either.
  const code = opts.notFoundAlike && d.reason === 'recipient_unavailable' ? ['recipient_unavailable', 'not_found'] : d.reason;
  status(res, st, code, what);
  if (st === 403 || st === 429) unlocks(res.body?.error?.unlock, d.unlock, what, res);
}

/** API.md `Member` as the viewer may see it (the fields the model predicts). */
export function member(actual: any, expected: MemberView, what: string, res?: Res): void {
  eq({ handle: actual?.handle, name: actual?.name, headline: actual?.headline, tier: actual?.tier, status: actual?.status }, expected, what, res);
}
