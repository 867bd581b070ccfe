/**
 * The commands of the model-based test: each one runs against the real HTTP server (through the
 * test harness) and against the model, and compares the answers (see model.test.ts).
 *
 * Parameters are small integers resolved against the model when the command runs (member `a` is
 * the a-th member of the run modulo their number, and so on), so any sequence is meaningful and
 * shrinking keeps it so. `toString()` shows the parameters; the run's trace (printed on failure)
 * shows the handles, the requests and the answers.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { Settings, Tier } from '../../src/policy/index.js';
import { NOTIFICATION_KINDS } from '../../src/contract/codes.js';
import { ADMIN_TOKEN, type Harness, type Res } from '../helpers/harness.js';
import * as C from './check.js';
import { DAY, HOUR, MINUTE, type MAttachment, type MIntro, type MInvitation, Model, type MThread, nextMonthStart } from './model.js';

export interface Real {
  h: Harness;
  /** A short token unique to the run: handles are a word and this token. */
  run: string;
  trace: string[];
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const HEADLINES = ['Engineer', 'Designer', 'Founder', 'Recruiter', 'Analyst', 'Teacher'];
export const MAX_MEMBERS = WORDS.length;

async function call(
  r: Real,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: Buffer } = {},
): Promise<Res> {
  const res = await r.h.call(method, url, opts);
  stat(
    `${method} ${url.split('?')[0]!.replace(/\/[0-9a-f]{24}$|\/[0-9]+(?=\/|$)|\/(alpha|bravo|charlie|delta|echo|foxtrot)[0-9a-z]{5}(?=\/|$)/g, '/:x')} ${res.status}${res.status >= 400 ? ' ' + (res.body?.error?.code ?? '') : ''}`,
  );
  r.trace.push(
    `    ${method} ${url}${opts.body !== undefined ? ' ' + JSON.stringify(opts.body).slice(0, 200) : ''} -> ${res.status} ${res.text.slice(0, 300)}`,
  );
  return res;
}

const ADMIN = { token: ADMIN_TOKEN };

/** How often the interesting situations came up (printed after the run: is the generator reaching them?). */
export const stats = new Map<string, number>();
export function stat(name: string): void {
  stats.set(name, (stats.get(name) ?? 0) + 1);
}

/** Every command moves time on by one second first, so that every write has its own instant. */
function tick(m: Model, r: Real, ms = 1000): void {
  const to = new Date(m.now.getTime() + ms);
  m.advanceTo(to);
  r.h.clock.set(to);
}

abstract class Cmd implements fc.AsyncCommand<Model, Real> {
  check(m: Readonly<Model>): boolean {
    return m.members.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    tick(m, r);
    r.trace.push(`  ${this.toString()}   [${m.now.toISOString()}]`);
    stat(`~ ${this.constructor.name}`);
    await this.exec(m, r);
  }
  abstract exec(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

// ---------------------------------------------------------------- picking

/** A member who can still sign in (not closed), by index; undefined when there is none. */
function actor(m: Model, a: number): number | undefined {
  const open = m.members.filter((x) => x.status !== 'closed');
  return open.length ? open[a % open.length]!.i : undefined;
}
function anyMember(m: Model, b: number): number {
  return b % m.members.length;
}
/**
 * A member related to `a` (a connection, a 2nd or 3rd degree, a thread's other side, a fellow group
 * member) when there is one, else another member: aims the commands at the pairs where rules bite.
 */
function related(m: Model, a: number, b: number): number {
  const rel = m.members
    .filter((x) => x.i !== a)
    .filter((x) => m.connected(a, x.i) || m.degree(a, x.i) !== null || m.liveThread(a, x.i) || m.sharedGroups(a, x.i) > 0 || m.openInvitation(a, x.i))
    .map((x) => x.i);
  return rel.length ? rel[b % rel.length]! : target(m, a, b);
}

/** Another member than `a` (oneself only for b = 7, now and then). */
function target(m: Model, a: number, b: number): number {
  if ((b === 7 && a % 2 === 0) || m.members.length < 2) return a;
  const others = m.members.filter((x) => x.i !== a);
  return others[b % others.length]!.i;
}
const tok = (m: Model, i: number) => ({ token: m.m(i).token });
const H = (m: Model, i: number) => `m${i}(${m.m(i).handle})`;

/** A deactivated actor may only read their own account, reactivate and close (API.md): 403. */
function inactive(m: Model, a: number, res: Res, what: string): boolean {
  if (m.m(a).status !== 'deactivated') return false;
  C.status(res, 403, 'sender_inactive', `${what} by a deactivated member`);
  return true;
}

/** GET /v1/me: the member as they see themselves, the InMail balance and quotas (API.md). */
export async function checkMe(m: Model, r: Real, i: number, what: string): Promise<void> {
  if (m.m(i).status === 'closed') return;
  const res = await call(r, 'GET', '/v1/me', tok(m, i));
  C.status(res, 200, undefined, `${what}: GET /v1/me of ${H(m, i)}`);
  C.member(res.body.member, m.view(i, i), `${what}: me.member of ${H(m, i)}`, res);
  C.eq(res.body.quotas?.inmailCredits, m.balance(i), `${what}: quotas.inmailCredits of ${H(m, i)}`, res);
  if (m.purchasesSupported !== false) C.eq(res.body.quotas?.purchasedCredits, m.m(i).purchased, `${what}: quotas.purchasedCredits of ${H(m, i)}`, res);
  const q = m.quotaFacts(i);
  C.eq(
    res.body.quotas?.invitationsLeftThisWeek,
    Math.max(0, m.policy.invitationsPerWeek - q.invitationsLast7Days),
    `${what}: invitationsLeftThisWeek of ${H(m, i)}`,
    res,
  );
  C.eq(
    res.body.quotas?.notesLeftThisMonth,
    m.premium(i) ? null : Math.max(0, m.policy.notesPerMonthFree - q.notesThisMonth),
    `${what}: notesLeftThisMonth of ${H(m, i)}`,
    res,
  );
}

// ---------------------------------------------------------------- notifications (DOMAIN.md 9)

const CONVERSATION_KINDS = new Set(['request.received', 'inmail.received', 'introduction.forwarded']);

/**
 * GET /v1/notifications as v, against the model's events (`m.notes`). What the list shows: every
 * actor shown exists for v (nothing a hidden member did, nothing from the other side of a block) and
 * stands for an event of that kind the model has (nothing made up, nothing a block or an ignore took
 * away came back); a conversation named exists for v (not one a block ended, not a request v ignored);
 * nothing older than the retention. What it must show: every event of the last `notificationRetentionDays`
 * whose actor exists for v and whose conversation is still there, in a group of its kind (its actor
 * among those shown, or the group counting more than it shows). Grants are left out (the server
 * writes them when the ledger is next touched).
 */
export async function checkNotifications(m: Model, r: Real, v: number, why = ''): Promise<any[]> {
  if (m.m(v).status !== 'active') return [];
  const res = await call(r, 'GET', '/v1/notifications?limit=100', tok(m, v));
  const what = `${why}notifications of ${H(m, v)}`;
  C.status(res, 200, undefined, what);
  const items = res.body.items as any[];
  const cutoff = m.now.getTime() - m.policy.notificationRetentionDays * DAY;
  const byHandle = new Map(m.members.map((x) => [x.handle, x.i]));
  const live = (id: string | undefined) => {
    const t = id === undefined ? undefined : m.thread(id);
    return t !== undefined && !t.gone;
  };
  let previous = Infinity;
  for (const it of items) {
    const at = Date.parse(it.createdAt);
    const label = `${what}: ${it.kind} ${it.id}`;
    if (!(at > cutoff)) C.fail(`${label}: within ${m.policy.notificationRetentionDays} days`, `after ${new Date(cutoff).toISOString()}`, it.createdAt, res);
    // LENIENT: a group keeps the place its last event gave it when that event's actor is hidden for
    // a while (deactivated), though it shows the date of its newest visible event (README "Notifications").
    if (at > previous && m.members.every((x) => x.status === 'active'))
      C.fail(
        `${what}: newest first`,
        'createdAt not increasing',
        items.map((x) => x.createdAt),
        res,
      );
    previous = at;
    if (it.kind === 'credits.granted') continue;
    const actors = (it.actors as any[]).map((a) => byHandle.get(a.handle));
    if (actors.length === 0 || actors.length > 3 || it.count < actors.length)
      C.fail(`${label}: one to three actors, count at least as many`, '1..3 actors', { actors: actors.length, count: it.count }, res);
    const conversation = it.subject?.conversationId as string | undefined;
    if (CONVERSATION_KINDS.has(it.kind) !== (conversation !== undefined))
      C.fail(`${label}: subject.conversationId`, CONVERSATION_KINDS.has(it.kind) ? 'present' : 'absent', it.subject, res);
    if (conversation !== undefined) {
      const t = m.thread(conversation);
      if (!t || (t.gone && t.goneBy === 'block'))
        C.fail(`${label}: about a conversation that exists for them (DOMAIN.md 6)`, 'a live conversation', t ? 'one a block ended' : 'unknown', res);
      if (t.ignoredBy === v) C.fail(`${label}: nothing about a request they ignored (DOMAIN.md 9)`, 'absent', it, res);
      if (it.kind === 'introduction.forwarded' && !m.exists(v, t.a === v ? t.b : t.a))
        C.fail(`${label}: nothing a hidden member did (the asker; DOMAIN.md 9, 11)`, 'absent', it, res);
    }
    for (const [n, x] of actors.entries()) {
      if (x === undefined) C.fail(`${label}: actor ${n} a member of the run`, 'known', it.actors[n], res);
      if (!m.exists(v, x)) C.fail(`${label}: nothing a hidden member did (DOMAIN.md 9)`, `${H(m, x)} hidden from ${H(m, v)}`, 'shown', res);
      C.member(it.actors[n], m.view(v, x), `${label}: actor ${H(m, x)}`, res);
      const backed = m.notes.some((e) => e.to === v && e.kind === it.kind && e.actor === x && (conversation === undefined || e.thread === conversation));
      if (!backed)
        C.fail(`${label}: an event of the rule book behind actor ${H(m, x)}`, 'an event', 'none (made up, or one a block or an ignore took away)', res);
    }
  }
  // GET /v1/me counts the unread ones the list shows (API.md `unread.notifications`)
  const me = await call(r, 'GET', '/v1/me', tok(m, v));
  C.eq(me.body.unread?.notifications, items.filter((it) => it.read === false).length, `${what}: GET /v1/me unread.notifications, as the list shows them`, me);
  for (const e of m.notes) {
    if (e.to !== v || e.at.getTime() <= cutoff || !m.exists(v, e.actor)) continue;
    if (e.thread !== null && (!live(e.thread) || m.thread(e.thread)!.ignoredBy === v)) continue;
    // about the member on the conversation's other side (a forwarded introduction's asker, not its
    // actor): shown only while they exist for the reader (DOMAIN.md 9: nothing a hidden member did)
    const t = e.thread !== null ? m.thread(e.thread)! : undefined;
    if (t && !m.exists(v, t.a === v ? t.b : t.a)) continue;
    stat(`notification expected: ${e.kind}`);
    const shown = items.some(
      (it) =>
        it.kind === e.kind &&
        (e.thread === null || it.subject?.conversationId === e.thread) &&
        ((it.actors as any[]).some((a) => a.handle === m.m(e.actor).handle) || it.count > it.actors.length),
    );
    if (!shown)
      C.fail(
        `${what}: ${e.kind} by ${H(m, e.actor)}${e.thread ? ` about conversation ${e.thread}` : ''} at ${e.at.toISOString()}`,
        'listed',
        items.map((it) => `${it.kind} ${(it.actors as any[]).map((a) => a.handle).join(',')} ${it.subject?.conversationId ?? ''} x${it.count}`),
        res,
      );
  }
  return items;
}

/**
 * GET /v1/notifications as a member, compared with the model's events; with `read`, then POST
 * /v1/notifications/read up to the read-th of the list: it and everything below it read, those above
 * as they were (API.md: "everything up to that notification", the list's order).
 */
export class Notifications extends Cmd {
  constructor(
    readonly a: number,
    readonly read: number | null,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const items = await checkNotifications(m, r, a);
    if (this.read === null || items.length === 0) return;
    const k = this.read % items.length;
    const res = await call(r, 'POST', '/v1/notifications/read', { ...tok(m, a), body: { upTo: items[k].id } });
    C.status(res, 204, undefined, `read notifications of ${H(m, a)} up to ${items[k].id}`);
    stat('notifications read');
    const after = await checkNotifications(m, r, a, `after reading up to ${items[k].id}: `);
    // LENIENT: above the one read up to, a group placed there by an event of a member hidden since
    // shows (and is read by) its older visible event (README "Notifications"): only checked when all are active
    const allActive = m.members.every((x) => x.status === 'active');
    const expected = new Map(items.filter((_, n) => n >= k || allActive).map((it) => [it.id, items.indexOf(it) >= k ? true : it.read]));
    C.eq(
      after.filter((it) => expected.has(it.id)).map((it) => `${it.id} ${it.read}`),
      after.filter((it) => expected.has(it.id)).map((it) => `${it.id} ${expected.get(it.id)}`),
      `read notifications of ${H(m, a)} up to ${items[k].id}: read flags`,
      res,
    );
  }
  toString() {
    return `notifications(m${this.a}${this.read === null ? '' : `, read up to #${this.read}`})`;
  }
}

// ---------------------------------------------------------------- accounts

export async function signUp(m: Model, r: Real): Promise<void> {
  const i = m.members.length;
  const handle = `${WORDS[i]}${r.run}`;
  const body = {
    handle,
    name: `${WORDS[i]![0]!.toUpperCase()}${WORDS[i]!.slice(1)} Person`,
    email: `${handle}@example.test`,
    password: 'correct horse battery',
    headline: `${HEADLINES[i]} ${r.run}`,
  };
  const res = await call(r, 'POST', '/v1/accounts', { body });
  C.status(res, 201, undefined, 'sign up');
  const mm = m.addMember({
    id: String(res.body.member.id),
    handle,
    name: body.name,
    headline: body.headline,
    email: body.email,
    token: res.body.token,
    createdAt: new Date(m.now),
  });
  C.member(res.body.member, m.view(mm.i, mm.i), 'sign up: member', res);
}

export class SignUp extends Cmd {
  override check(m: Readonly<Model>) {
    return m.members.length < MAX_MEMBERS;
  }
  async exec(m: Model, r: Real) {
    await signUp(m, r);
  }
  toString() {
    return 'signUp';
  }
}

export class Lifecycle extends Cmd {
  constructor(
    readonly a: number,
    readonly action: 'deactivate' | 'reactivate' | 'close',
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const deactivated = m.members.filter((x) => x.status === 'deactivated');
    if (this.action === 'reactivate' && !deactivated.length && this.a % 4 !== 3) return;
    const a = this.action === 'reactivate' && deactivated.length ? deactivated[this.a % deactivated.length]!.i : actor(m, this.a);
    if (a === undefined) return;
    const mm = m.m(a);
    const res = await call(r, 'POST', `/v1/me/${this.action}`, tok(m, a));
    const what = `${this.action} ${H(m, a)}`;
    if (this.action === 'deactivate') {
      if (mm.status === 'deactivated') {
        // LENIENT: API.md says a deactivated member may only reactivate, read and close; the code is open.
        C.status(res, [403, 409], undefined, what);
        return;
      }
      C.status(res, 200, undefined, what);
      mm.status = 'deactivated';
    } else if (this.action === 'reactivate') {
      if (mm.status === 'active') {
        // LENIENT: reactivating an active account: a conflict or a no-op, the contract does not say.
        C.status(res, [200, 409], undefined, what);
        return;
      }
      C.status(res, 200, undefined, what);
      mm.status = 'active';
    } else {
      C.status(res, 200, undefined, what);
      if (m.connectionCount(a) > 0) stat('close with connections');
      const partners = m.connectionsOf(a);
      m.close(a);
      // Closing frees the partners' places under the cap at once (DOMAIN.md 1): look from each partner.
      for (const p of partners)
        for (const x of m.members) if (x.i !== p && x.i !== a && x.status === 'active' && m.isActive(p)) await checkProfile(m, r, p, x.i, 'after a close: ');
    }
    C.member(res.body.member, m.view(a, a), `${what}: member`, res);
    if (this.action === 'close') {
      const after = await call(r, 'GET', '/v1/me', tok(m, a));
      C.status(after, 401, 'unauthenticated', `${what}: the token of a closed account`);
    }
  }
  toString() {
    return `${this.action}(m${this.a})`;
  }
}

const SETTINGS_PATCHES: Partial<Settings>[] = [
  { messagesFrom: 'connections' },
  { messagesFrom: 'shared_connections' },
  { messagesFrom: 'anyone' },
  { messageRequests: 'off' },
  { messageRequests: 'on' },
  { acceptInMail: false },
  { acceptInMail: true },
  { openProfile: true },
  { openProfile: false },
  { profileVisibility: 'connections' },
  { profileVisibility: 'network' },
  { profileVisibility: 'everyone' },
  { primaryAction: 'message' },
  { primaryAction: 'follow' },
  { primaryAction: 'connect' },
  // DOMAIN.md 9: each kind can be turned off (a whole map each time: what a partial one merges into is not under test)
  { notifications: notificationSwitches('invitation.received') },
  { notifications: notificationSwitches('request.received') },
  { notifications: notificationSwitches('inmail.received') },
  { notifications: notificationSwitches('introduction.forwarded') },
  { notifications: notificationSwitches() },
];

/** Every notification kind on, but `off`. */
function notificationSwitches(off?: string): Settings['notifications'] {
  return Object.fromEntries(NOTIFICATION_KINDS.map((k) => [k, k !== off])) as Settings['notifications'];
}

export class ChangeSettings extends Cmd {
  constructor(
    readonly a: number,
    readonly p: number,
    readonly q: number,
  ) {
    super();
  }
  get patch(): Partial<Settings> {
    return { ...SETTINGS_PATCHES[this.q % SETTINGS_PATCHES.length], ...SETTINGS_PATCHES[this.p % SETTINGS_PATCHES.length] };
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const res = await call(r, 'PATCH', '/v1/me/settings', { ...tok(m, a), body: this.patch });
    if (inactive(m, a, res, 'settings')) return;
    // DOMAIN.md 7: `openProfile` (premium only); the whole change is refused, nothing stored
    if (this.patch.openProfile === true && !m.premium(a)) return C.status(res, 403, 'premium_only', `settings of ${H(m, a)}: Open Profile while free`);
    C.status(res, 200, undefined, `settings of ${H(m, a)}`);
    Object.assign(m.m(a).settings, this.patch);
    for (const [k, v] of Object.entries(this.patch)) C.eq(res.body.settings?.[k], v, `settings.${k} of ${H(m, a)}`, res);
  }
  toString() {
    return `settings(m${this.a}, ${JSON.stringify(this.patch)})`;
  }
}

// ---------------------------------------------------------------- operator

const UNTIL = ['none', 'days10', 'days35', 'days400', 'past'] as const;
type UntilKind = (typeof UNTIL)[number];

function untilOf(kind: UntilKind, now: Date): Date | null {
  switch (kind) {
    case 'none':
      return null;
    case 'days10':
      return new Date(now.getTime() + 10 * DAY + 3 * HOUR);
    case 'days35':
      return new Date(now.getTime() + 35 * DAY + 5 * HOUR);
    case 'days400':
      return new Date(now.getTime() + 400 * DAY);
    case 'past':
      return new Date(now.getTime() - DAY);
  }
}

export class SetTier extends Cmd {
  constructor(
    readonly b: number,
    readonly tier: Tier,
    readonly until: UntilKind,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const b = anyMember(m, this.b);
    const until = untilOf(this.until, m.now);
    const res = await call(r, 'PUT', `/v1/admin/members/${m.m(b).handle}/subscription`, {
      ...ADMIN,
      body: { tier: this.tier, until: until?.toISOString() ?? null },
    });
    C.status(res, 200, undefined, `set tier of ${H(m, b)}`);
    m.setSubscription(b, this.tier, until);
    C.eq(res.body.tier, m.effectiveTier(b), `set tier of ${H(m, b)}: member.tier (the tier in force)`, res);
    await checkMe(m, r, b, `after set tier ${this.tier}/${this.until}`);
  }
  toString() {
    return `setTier(m${this.b}, ${this.tier}, until ${this.until})`;
  }
}

export class Purchase extends Cmd {
  constructor(
    readonly b: number,
    readonly credits: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.members.length > 0 && m.purchasesSupported !== false;
  }
  async exec(m: Model, r: Real) {
    if (m.purchasesSupported === false) return;
    const b = anyMember(m, this.b);
    const res = await call(r, 'POST', `/v1/admin/members/${m.m(b).handle}/inmail-credits`, { ...ADMIN, body: { credits: this.credits, note: 'model test' } });
    if (res.status === 404 && String(res.body?.error?.message ?? '').startsWith('no route')) {
      // The route is not there yet (an older server): the command is skipped from now on.
      m.purchasesSupported = false;
      return;
    }
    m.purchasesSupported = true;
    C.status(res, 200, undefined, `purchase for ${H(m, b)}`);
    m.m(b).purchased += this.credits;
    // LENIENT: API.md's `{ balance }` may be the whole balance or the purchased pool.
    C.oneOf(res.body.balance, [m.balance(b), m.m(b).purchased], `purchase for ${H(m, b)}: balance`, res);
    await checkMe(m, r, b, 'after purchase');
  }
  toString() {
    return `purchase(m${this.b}, ${this.credits})`;
  }
}

export class Restrict extends Cmd {
  constructor(
    readonly b: number,
    readonly restrict: boolean,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const b = anyMember(m, this.b);
    const res = await call(r, 'POST', `/v1/admin/members/${m.m(b).handle}/${this.restrict ? 'restrict' : 'unrestrict'}`, ADMIN);
    C.status(res, 200, undefined, `${this.restrict ? 'restrict' : 'unrestrict'} ${H(m, b)}`);
    const mm = m.m(b);
    if (this.restrict) mm.restricted = true;
    else {
      mm.restricted = false;
      mm.bulkFlagged = false;
      mm.clearedAt = new Date(m.now);
    }
    await checkMe(m, r, b, `after ${this.restrict ? 'restrict' : 'unrestrict'}`);
  }
  toString() {
    return `${this.restrict ? 'restrict' : 'unrestrict'}(m${this.b})`;
  }
}

// ---------------------------------------------------------------- time

const ADVANCES = ['minutes', 'hours49', 'day', 'week', 'days30', 'days90', 'nextMonth'] as const;
type AdvanceKind = (typeof ADVANCES)[number];

export class Advance extends Cmd {
  constructor(readonly kind: AdvanceKind) {
    super();
  }
  async exec(m: Model, r: Real) {
    const now = m.now.getTime();
    const to =
      this.kind === 'minutes'
        ? now + 2 * MINUTE
        : this.kind === 'hours49'
          ? now + 49 * HOUR
          : this.kind === 'day'
            ? now + DAY + 3 * HOUR
            : this.kind === 'week'
              ? now + 7 * DAY
              : this.kind === 'days30'
                ? now + 30 * DAY
                : this.kind === 'days90'
                  ? now + 90 * DAY
                  : nextMonthStart(m.now).getTime() + 13 * MINUTE;
    tick(m, r, to - now);
  }
  toString() {
    return `advance(${this.kind})`;
  }
}

// ---------------------------------------------------------------- graph

const NOTES = ['none', 'short', 'spaces', 'long'] as const;
type NoteKind = (typeof NOTES)[number];

export class Invite extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly note: NoteKind,
    readonly email: boolean,
    readonly retry: boolean,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    await invite(m, r, a, target(m, a, this.b), this.note, this.email, this.retry);
  }
  toString() {
    return `invite(m${this.a} -> m${this.b}, note ${this.note}${this.email ? ', with e-mail' : ''}${this.retry ? ', retried' : ''})`;
  }
}

async function invite(m: Model, r: Real, a: number, b: number, noteKind: NoteKind, email: boolean, retry: boolean): Promise<void> {
  const note =
    noteKind === 'none' ? undefined : noteKind === 'short' ? 'Hello, let us connect' : noteKind === 'spaces' ? ' \t  ' : 'n'.repeat(m.policy.noteMaxChars + 1);
  const body: Record<string, unknown> = { to: m.m(b).handle };
  if (note !== undefined) body.note = note;
  if (email) body.email = m.m(b).email;
  const headers = retry ? { 'idempotency-key': randomBytes(8).toString('hex') } : undefined;
  const res = await call(r, 'POST', '/v1/invitations', { ...tok(m, a), body, headers });
  const what = `invite ${H(m, a)} -> ${H(m, b)}`;
  if (inactive(m, a, res, what)) return;
  // DOMAIN.md 3: a note of only whitespace is no note.
  const stored = note !== undefined && note.trim() !== '' ? note : null;
  const d = m.invitationDecision(a, b, { note: stored, emailMatches: email });
  if (!d.allowed) return C.denial(res, d, what);
  const theirs = m.openInvitation(a, b);
  if (theirs && theirs.from === b && theirs.status === 'ignored') {
    // LENIENT: a has ignored b's invitation (b still sees it pending) and now invites b. DOMAIN.md 3
    // ("If B has a pending invitation to A and A invites B, the two are connected at once") reads
    // either way: connected at once (200), or a new invitation replacing the one a ignored (201).
    C.status(res, [200, 201], undefined, `${what} (after ignoring theirs)`);
    if (res.status === 200) {
      C.eq(res.body.id, theirs.id, `${what}: the invitation accepted`, res);
      theirs.status = 'accepted';
      theirs.respondedAt = new Date(m.now);
      m.connect(a, b);
      m.notify(b, 'invitation.accepted', a);
      await afterConnect(m, r, a, b);
    } else {
      theirs.status = 'expired';
      record(m, a, b, stored, res);
    }
  } else if (theirs && theirs.from === b) {
    C.status(res, 200, undefined, `${what} (crossing invitations connect at once)`);
    C.eq({ id: res.body.id, status: res.body.status }, { id: theirs.id, status: 'accepted' }, `${what}: crossing`, res);
    theirs.status = 'accepted';
    theirs.respondedAt = new Date(m.now);
    m.connect(a, b);
    m.notify(b, 'invitation.accepted', a);
    await afterConnect(m, r, a, b);
  } else {
    C.status(res, 201, undefined, what);
    record(m, a, b, stored, res);
  }
  if (retry) {
    const again = await call(r, 'POST', '/v1/invitations', { ...tok(m, a), body, headers });
    C.eq({ status: again.status, body: again.body }, { status: res.status, body: res.body }, `${what}: a retry with the same Idempotency-Key`, again);
  }
}

function record(m: Model, a: number, b: number, note: string | null, res: Res) {
  const inv: MInvitation = {
    id: String(res.body.id),
    from: a,
    to: b,
    note,
    status: 'pending',
    createdAt: new Date(m.now),
    respondedAt: null,
    reportedAt: null,
  };
  m.invitations.push(inv);
  m.notify(b, 'invitation.received', a);
  const what = `invite ${H(m, a)} -> ${H(m, b)}`;
  C.eq({ note: res.body.note, status: res.body.status }, { note, status: 'pending' }, `${what}: invitation`, res);
  C.member(res.body.to, m.view(a, b), `${what}: invitation.to`, res);
  C.member(res.body.from, m.view(a, a), `${what}: invitation.from`, res);
}

/** `a` invites `b` and `b` accepts (each step checked against the model). */
async function connectPair(m: Model, r: Real, a: number, b: number): Promise<void> {
  await invite(m, r, a, b, 'none', false, false);
  const inv = m.invitations.find((x) => x.from === a && x.to === b && x.status === 'pending' && !m.expired(x));
  if (!inv || m.m(b).status === 'closed') return;
  await respondTo(m, r, inv, 'accept');
}

/** An invitation and its acceptance in one command (both steps compared): networks grow faster. */
export class Connect extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const free = m.members.filter((x) => x.i !== a && x.status === 'active' && !m.connected(a, x.i) && !m.openInvitation(a, x.i) && !m.blockedEither(a, x.i));
    await connectPair(m, r, a, free.length && this.b !== 7 ? free[this.b % free.length]!.i : target(m, a, this.b));
  }
  toString() {
    return `connect(m${this.a} -> m${this.b}: invite, accept)`;
  }
}

export class RespondInvitation extends Cmd {
  constructor(
    readonly k: number,
    readonly action: 'accept' | 'ignore' | 'withdraw' | 'report',
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.invitations.length > 0;
  }
  async exec(m: Model, r: Real) {
    // Open invitations first: they are the interesting ones.
    const open = m.invitations.filter((x) => (x.status === 'pending' || x.status === 'ignored') && !m.expired(x));
    const list = open.length && this.k % 4 !== 3 ? open : m.invitations;
    await respondTo(m, r, list[this.k % list.length]!, this.action);
  }
  toString() {
    return `${this.action}Invitation(#${this.k})`;
  }
}

/** After a new connection: each side looks at the members whose invitations wait for them (DOMAIN.md 4.4 at the cap). */
async function afterConnect(m: Model, r: Real, a: number, b: number): Promise<void> {
  for (const v of [a, b])
    for (const x of m.members) {
      const seen = m.invitationSeenBy(v, x.i);
      if (!seen || !m.exists(v, x.i) || m.m(v).status !== 'active') continue;
      if (m.connectionCount(v) >= m.policy.connectionCap) stat(`at the cap with an invitation ${seen.direction}`);
      // The one who received the invitation looks at the one who sent it.
      if (seen.direction === 'received') await checkProfile(m, r, v, x.i, 'after a new connection: ');
      else if (m.m(x.i).status === 'active') await checkProfile(m, r, x.i, v, 'after a new connection: ');
    }
}

async function respondTo(m: Model, r: Real, inv: MInvitation, action: 'accept' | 'ignore' | 'withdraw' | 'report'): Promise<void> {
  const a = action === 'withdraw' ? inv.from : inv.to;
  const o = action === 'withdraw' ? inv.to : inv.from;
  if (m.m(a).status === 'closed') return;
  const res = await call(r, 'POST', `/v1/invitations/${inv.id}/${action}`, tok(m, a));
  const what = `${action} invitation ${inv.id} (${H(m, inv.from)} -> ${H(m, inv.to)}, ${inv.status}) by ${H(m, a)}`;
  if (inactive(m, a, res, what)) return;
  if (!m.exists(a, o)) return C.status(res, 404, 'not_found', `${what}: the other side does not exist for the caller`);
  const expired = m.expired(inv);
  const openForSender = (inv.status === 'pending' || inv.status === 'ignored') && !expired;
  if (action === 'withdraw') {
    // LENIENT: an invitation that is no longer open: 409 conflict (or 404), the contract does not say.
    if (!openForSender) return C.status(res, [404, 409], undefined, `${what}: not open`);
    C.status(res, 200, undefined, what);
    C.eq(res.body.status, 'withdrawn', `${what}: status`, res);
    inv.status = 'withdrawn';
    inv.respondedAt = new Date(m.now);
    m.dropInvitationNote(inv);
    return;
  }
  if (inv.status === 'ignored' && !expired) {
    // LENIENT: the recipient no longer sees an invitation it ignored; answering it again is 404 or
    // 409, and reporting it later may be allowed.
    C.status(res, action === 'report' ? [200, 404, 409] : [404, 409], undefined, `${what}: already ignored`);
    if (res.status === 200) inv.reportedAt ??= new Date(m.now); // a report counts once an invitation: the first
    return;
  }
  if (inv.status !== 'pending' || expired) return C.status(res, [404, 409], undefined, `${what}: not open`);
  if (action === 'accept') {
    const d = m.acceptDecision(a, o);
    if (!d.allowed) return C.denial(res, d, what);
    C.status(res, 200, undefined, what);
    C.eq(res.body.status, 'accepted', `${what}: status`, res);
    inv.status = 'accepted';
    inv.respondedAt = new Date(m.now);
    m.connect(a, o);
    m.notify(o, 'invitation.accepted', a);
    await afterConnect(m, r, a, o);
    return;
  }
  C.status(res, 200, undefined, what);
  C.eq(res.body.status, 'ignored', `${what}: status as the recipient sees it`, res);
  inv.status = 'ignored';
  inv.respondedAt = new Date(m.now);
  if (action === 'report') inv.reportedAt = new Date(m.now);
  m.dropInvitationNote(inv);
}

/** DELETE /v1/connections/:handle by `a`, checked against the model. */
async function removeConnection(m: Model, r: Real, a: number, b: number): Promise<void> {
  const res = await call(r, 'DELETE', `/v1/connections/${m.m(b).handle}`, tok(m, a));
  const what = `remove connection ${H(m, a)} - ${H(m, b)}`;
  if (inactive(m, a, res, what)) return;
  if (m.m(b).status === 'deactivated' && m.connected(a, b)) {
    // LENIENT: the connection is kept while b is deactivated (DOMAIN.md 1) but b does not exist
    // for a (DOMAIN.md 4.2): removing it may be refused as not found, or done.
    C.status(res, [204, 404], undefined, what);
    if (res.status === 204) m.disconnect(a, b);
    return;
  }
  if (a === b || !m.exists(a, b) || !m.connected(a, b)) return C.status(res, 404, undefined, `${what}: not connected`);
  C.status(res, 204, undefined, what);
  const thread = m.liveThread(a, b);
  if (thread) stat('remove a connection with a thread');
  m.disconnect(a, b);
  // Acceptance ends with the connection (DOMAIN.md 5.1): how may they write now?
  if (thread) {
    await checkWhy(m, r, a, b, 'after removing the connection: ');
    await checkWhy(m, r, b, a, 'after removing the connection: ');
  }
}

export class RemoveConnection extends Cmd {
  constructor(
    readonly k: number,
    readonly flip: boolean,
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const pairs = [...m.connections]
      .map((p) => p.split(',').map(Number) as [number, number])
      .filter(([x, y]) => m.m(x).status !== 'closed' && m.m(y).status !== 'closed');
    let a: number | undefined;
    let b: number;
    // Half the time a pair with a thread: removing the connection ends its acceptance (DOMAIN.md 5.1).
    const withThread = pairs.filter(([x, y]) => m.liveThread(x, y));
    const from = this.k % 2 === 0 && withThread.length ? withThread : pairs;
    if (from.length) {
      const [x, y] = from[this.k % from.length]!;
      [a, b] = this.flip ? [y, x] : [x, y];
    } else {
      a = actor(m, this.a);
      b = anyMember(m, this.b);
    }
    if (a === undefined) return;
    await removeConnection(m, r, a, b);
  }
  toString() {
    return `removeConnection(#${this.k}${this.flip ? ' flipped' : ''} or m${this.a} - m${this.b})`;
  }
}

/** POST /v1/blocks by `a` against `b`, checked against the model. */
async function blockPair(m: Model, r: Real, a: number, b: number): Promise<void> {
  const res = await call(r, 'POST', '/v1/blocks', { ...tok(m, a), body: { handle: m.m(b).handle } });
  const what = `block ${H(m, a)} -> ${H(m, b)}`;
  if (inactive(m, a, res, what)) return;
  if (a !== b && m.hasBlocked(a, b)) {
    // LENIENT: blocking again someone already blocked: idempotent 201, or the member who no longer exists (404).
    return C.status(res, [201, 404], undefined, `${what} (already blocked)`);
  }
  const d = m.blockDecision(a, b);
  if (!d.allowed) return C.denial(res, d, what, { notFoundAlike: true });
  C.status(res, 201, undefined, what);
  if (m.liveThread(a, b)) stat('block with a thread');
  m.block(a, b);
  await checkIntroListsOf(m, r, a, b, 'after a block: ');
  for (const x of [a, b]) await checkNotifications(m, r, x, 'after a block: ');
  // The blocked side's attachments of their threads stop existing for the other (DOMAIN.md 6).
  for (const att of m.attachments)
    for (const id of att.threads) {
      const t = m.thread(id)!;
      if (!((t.a === a && t.b === b) || (t.a === b && t.b === a))) continue;
      const other = att.uploader === t.a ? t.b : t.a;
      if (m.m(other).status === 'active') await checkFetch(m, r, att, other, 'after a block: ');
    }
}

export class Block extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    await blockPair(m, r, a, this.b % 2 ? related(m, a, this.b) : target(m, a, this.b));
  }
  toString() {
    return `block(m${this.a} -> m${this.b})`;
  }
}

/** DELETE /v1/blocks/:handle by `a` against `b`, checked against the model. */
async function unblockPair(m: Model, r: Real, a: number, b: number): Promise<void> {
  const res = await call(r, 'DELETE', `/v1/blocks/${m.m(b).handle}`, tok(m, a));
  const what = `unblock ${H(m, a)} -> ${H(m, b)}`;
  if (inactive(m, a, res, what)) return;
  if (!m.hasBlocked(a, b)) return C.status(res, 404, undefined, `${what}: not blocked`);
  C.status(res, 204, undefined, what);
  m.unblock(a, b);
  // Unblocking restores nothing (DOMAIN.md 6): not what either side was notified of by the other.
  for (const x of [a, b]) await checkNotifications(m, r, x, 'after an unblock: ');
  // Unblocking restores nothing (DOMAIN.md 6): no old thread, a new message needs a channel.
  if (m.threads.some((t) => t.goneBy === 'block' && ((t.a === a && t.b === b) || (t.a === b && t.b === a)))) {
    stat('unblock after a thread');
    if (m.isActive(b) && !m.hasBlocked(b, a)) {
      await checkWhy(m, r, a, b, 'after an unblock: ');
      await checkWhy(m, r, b, a, 'after an unblock: ');
    }
  }
}

export class Unblock extends Cmd {
  constructor(
    readonly k: number,
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const active = [...m.blocks.entries()].filter(([, v]) => v.active).map(([k]) => k.split('>').map(Number) as [number, number]);
    let a: number | undefined;
    let b: number;
    if (active.length && this.k % 5 !== 4) [a, b] = active[this.k % active.length]!;
    else {
      a = actor(m, this.a);
      b = anyMember(m, this.b);
    }
    if (a === undefined || m.m(a).status === 'closed') return;
    await unblockPair(m, r, a, b);
  }
  toString() {
    return `unblock(#${this.k} or m${this.a} -> m${this.b})`;
  }
}

export class Follow extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly unfollow: boolean,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const b = target(m, a, this.b);
    const what = `${this.unfollow ? 'unfollow' : 'follow'} ${H(m, a)} -> ${H(m, b)}`;
    if (this.unfollow) {
      const res = await call(r, 'DELETE', `/v1/follows/${m.m(b).handle}`, tok(m, a));
      if (inactive(m, a, res, what)) return;
      if (a === b || !m.exists(a, b) || !m.following(a, b)) return C.status(res, [404], undefined, `${what}: not following`);
      C.status(res, 204, undefined, what);
      m.follows.delete(`${a}>${b}`);
      return;
    }
    const res = await call(r, 'POST', '/v1/follows', { ...tok(m, a), body: { handle: m.m(b).handle } });
    if (inactive(m, a, res, what)) return;
    const d = m.followDecision(a, b);
    if (!d.allowed) return C.denial(res, d, what, { notFoundAlike: true });
    C.status(res, 201, undefined, what);
    m.follows.add(`${a}>${b}`);
  }
  toString() {
    return `${this.unfollow ? 'unfollow' : 'follow'}(m${this.a} -> m${this.b})`;
  }
}

// ---------------------------------------------------------------- groups

export class CreateGroup extends Cmd {
  constructor(readonly a: number) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const res = await call(r, 'POST', '/v1/groups', { ...tok(m, a), body: { name: `Group ${r.run} ${m.groups.length}` } });
    if (inactive(m, a, res, 'create group')) return;
    C.status(res, 201, undefined, `create group by ${H(m, a)}`);
    m.groups.push({ id: String(res.body.id), creator: a, members: new Set([a]), admins: new Set([a]) });
  }
  toString() {
    return `createGroup(m${this.a})`;
  }
}

export class GroupMembership extends Cmd {
  constructor(
    readonly a: number,
    readonly g: number,
    readonly leave: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.groups.length > 0;
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const g = m.groups[this.g % m.groups.length]!;
    // Not covered: adding admins, approvals and join policies.
    const res = this.leave
      ? await call(r, 'DELETE', `/v1/groups/${g.id}/members/me`, tok(m, a))
      : await call(r, 'POST', `/v1/groups/${g.id}/members`, tok(m, a));
    const what = `${this.leave ? 'leave' : 'join'} group ${g.id} by ${H(m, a)}`;
    if (inactive(m, a, res, what)) return;
    if (this.leave) {
      // LENIENT: leaving a group one is not in: 404 or 409.
      if (!g.members.has(a)) return C.status(res, [404, 409], undefined, `${what}: not a member`);
      if (g.admins === null) {
        // LENIENT: after the last admin closed their account, someone took over (the server chooses whom).
        C.status(res, [204, 409], undefined, `${what} (who took over as admin is the server's choice)`);
        if (res.status === 409) {
          g.admins = new Set([a]);
          return;
        }
      } else if (g.admins.size === 1 && g.admins.has(a)) {
        // DOMAIN.md 2: the last admin cannot leave.
        return C.status(res, 409, 'conflict', `${what}: the last admin`);
      } else C.status(res, 204, undefined, what);
      g.members.delete(a);
      g.admins?.delete(a);
    } else {
      // LENIENT: joining a group one is in already: 204 (idempotent) or 409.
      if (g.members.has(a)) return C.status(res, [204, 409], undefined, `${what}: already a member`);
      C.status(res, 204, undefined, what);
      g.members.add(a);
    }
  }
  toString() {
    return `${this.leave ? 'leaveGroup' : 'joinGroup'}(m${this.a}, g${this.g})`;
  }
}

// ---------------------------------------------------------------- messaging

const BODIES = ['hello', 'Hello  ', 'HEL LO', 'he\u200bllo', 'Buy my course', 'Thanks!', 'x'.repeat(8001), '   '];

function multipart(content: string) {
  const boundary = '----liaisonmodel' + randomBytes(6).toString('hex');
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n`),
    Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads a small text file as member a; retried with the same Idempotency-Key when asked (API.md Conventions). */
async function upload(m: Model, r: Real, a: number, retry: boolean): Promise<MAttachment | null> {
  const { payload, contentType } = multipart(`attachment ${randomBytes(4).toString('hex')}`);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (retry) headers['idempotency-key'] = randomBytes(8).toString('hex');
  const res = await call(r, 'POST', '/v1/attachments', { ...tok(m, a), headers, rawBody: payload });
  const what = `upload by ${H(m, a)}`;
  if (inactive(m, a, res, what)) return null;
  if (m.m(a).restricted) {
    // LENIENT: DOMAIN.md 1 forbids a restricted member invitations and messages; whether it may upload is open.
    C.status(res, [201, 403], 'sender_restricted', what);
    if (res.status === 403) return null;
  } else C.status(res, 201, undefined, what);
  const att: MAttachment = { id: String(res.body.id), uploader: a, uploadedAt: new Date(m.now), threads: new Set() };
  m.attachments.push(att);
  if (retry) {
    const again = await call(r, 'POST', '/v1/attachments', { ...tok(m, a), headers, rawBody: payload });
    C.eq(
      { status: again.status, id: again.body?.id },
      { status: 201, id: att.id },
      `${what}: a retry with the same Idempotency-Key returns the first answer`,
      again,
    );
  }
  return att;
}

/** After a message lands: the recipient finds the thread in the folder the model expects (or not at all). */
async function checkRecipientFolder(m: Model, r: Real, t: MThread, rcpt: number, what: string) {
  if (m.m(rcpt).status !== 'active') return;
  const folder = m.folderOf(t, rcpt);
  const res = await call(r, 'GET', `/v1/conversations?folder=${folder}&limit=100`, tok(m, rcpt));
  C.status(res, 200, undefined, `${what}: the recipient's ${folder}`);
  const item = (res.body.items as any[]).find((x) => String(x.id) === t.id);
  if (t.ignoredBy === rcpt) {
    if (item) C.fail(`${what}: a request the recipient ignored stays out of their ${folder}`, 'absent', item, res);
    return;
  }
  if (!item) C.fail(`${what}: thread ${t.id} in the recipient's ${folder}`, 'present', 'absent', res);
  checkConversation(m, rcpt, t, item, `${what}: the recipient's view`, res);
}

/** API.md `Conversation` as member v sees thread t. */
function checkConversation(m: Model, v: number, t: MThread, item: any, what: string, res: Res) {
  const last = t.messages[t.messages.length - 1];
  C.eq(
    { state: item.state, accepted: item.accepted, folder: item.folder, lastMessage: item.lastMessage?.id ?? null },
    { state: t.state, accepted: t.accepted, folder: m.folderOf(t, v), lastMessage: last?.id ?? null },
    `${what}: conversation ${t.id} as ${H(m, v)} sees it`,
    res,
  );
  const handles = (item.participants as any[]).map((p) => p.handle).sort();
  C.eq(handles, [m.m(t.a).handle, m.m(t.b).handle].sort(), `${what}: participants`, res);
  for (const p of item.participants as any[]) {
    const x = m.members.find((mm) => mm.handle === p.handle)!;
    C.member(p, m.view(v, x.i), `${what}: participant ${H(m, x.i)} as ${H(m, v)} sees it`, res);
  }
}

async function afterMessage(m: Model, r: Real, s: number, rcpt: number, t: MThread, refundsBefore: number, inmail: boolean, what: string) {
  await checkRecipientFolder(m, r, t, rcpt, what);
  if (inmail) await checkMe(m, r, s, `${what}: the sender's credits`);
  const refundsAfter = t.messages.filter((x) => x.inmail?.refunded).length;
  if (refundsAfter > refundsBefore) await checkMe(m, r, rcpt, `${what}: the refunded credits`);
}

interface SendShape {
  body: number;
  inmail: boolean;
  subject: boolean;
  attach: boolean;
  retry: boolean;
}

/** POST /v1/messages from `a` to `b`, checked against the model's decision and applied to it. */
async function sendOnce(m: Model, r: Real, a: number, b: number, o: SendShape): Promise<void> {
  const what = `send ${H(m, a)} -> ${H(m, b)}`;
  let att: MAttachment | null = null;
  if (o.attach) {
    att = await upload(m, r, a, o.retry);
    if (m.m(a).status === 'deactivated') return;
  }
  const text = BODIES[o.body < 6 ? o.body : o.body >= 14 ? o.body - 8 : o.body % 6]!;
  const subject = o.subject ? (o.body % 3 === 2 ? 's'.repeat(m.policy.inmailSubjectMaxChars + 1) : 'About your work') : undefined;
  const req: Record<string, unknown> = { to: m.m(b).handle, body: text };
  if (o.inmail) req.channel = 'inmail';
  if (subject !== undefined) req.subject = subject;
  if (att) req.attachments = [att.id];
  const headers = o.retry ? { 'idempotency-key': randomBytes(8).toString('hex') } : undefined;
  const res = await call(r, 'POST', '/v1/messages', { ...tok(m, a), body: req, headers });
  if (inactive(m, a, res, what)) return;
  if (text.trim() === '' && !att) return C.status(res, 400, 'invalid_request', `${what}: a blank body`);
  const d = m.messageDecision(a, b, { channel: o.inmail ? 'inmail' : undefined, body: text, subject: subject ?? null });
  if (!d.allowed) return C.denial(res, d, what);
  if (subject !== undefined && subject.length > m.policy.inmailSubjectMaxChars) {
    // A subject too long is a size rule of its own even when the channel is free (API.md 400 too_long).
    return C.status(res, 400, 'too_long', `${what}: subject too long`);
  }
  C.status(res, 201, undefined, what);
  stat(`send ${d.channel}/${d.delivery}`);
  const before = m.threadSeenBy(a, b);
  if (before && !before.accepted && before.starter === a && !m.connected(a, b)) stat('send: starter again into a thread not accepted');
  C.eq(res.body.message?.channel, d.channel, `${what}: channel`, res);
  const gone = m.threads.filter((t) => t.gone && t.goneBy === 'block' && ((t.a === a && t.b === b) || (t.a === b && t.b === a)));
  const convId = String(res.body.conversation?.id);
  if (before && convId !== before.id) C.fail(`${what}: the message continues thread ${before.id}`, before.id, convId, res);
  if (!before && gone.some((t) => t.id === convId))
    C.fail(`${what}: a thread gone after a block stays gone (DOMAIN.md 6): a new conversation`, 'a new id', convId, res);
  const refundsBefore = before ? before.messages.filter((x) => x.inmail?.refunded).length : 0;
  const t = m.applyMessage(
    a,
    b,
    { channel: d.channel!, delivery: d.delivery!, inmail: d.cost !== undefined },
    { message: String(res.body.message.id), thread: convId },
    text,
    att ? [att.id] : [],
  );
  checkConversation(m, a, t, res.body.conversation, `${what}: the sender's view`, res);
  if (o.retry) {
    const again = await call(r, 'POST', '/v1/messages', { ...tok(m, a), body: req, headers });
    C.eq(
      { status: again.status, message: again.body?.message?.id },
      { status: 201, message: res.body.message.id },
      `${what}: a retry with the same Idempotency-Key`,
      again,
    );
  }
  await afterMessage(m, r, a, b, t, refundsBefore, d.cost !== undefined, what);
}

export class Send extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly rel: boolean,
    readonly body: number,
    readonly inmail: boolean,
    readonly subject: boolean,
    readonly attach: boolean,
    readonly retry: boolean,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    await sendOnce(m, r, a, this.rel ? related(m, a, this.b) : target(m, a, this.b), this);
  }
  toString() {
    const text = JSON.stringify(BODIES[this.body < 6 ? this.body : this.body >= 14 ? this.body - 8 : this.body % 6]!.slice(0, 12));
    return `send(m${this.a} -> ${this.rel ? 'related ' : ''}m${this.b}, ${text}${this.inmail ? ', inmail' : ''}${this.subject ? ', subject' : ''}${this.attach ? ', attachment' : ''}${this.retry ? ', retried' : ''})`;
  }
}

/** A thread by index: live ones first (they are the interesting ones), sometimes any. */
function pickThread(m: Model, k: number): MThread | undefined {
  const live = m.threads.filter((t) => !t.gone);
  // A replaced thread whose id lives on in its successor is the successor.
  const all = m.threads.filter((t) => !t.gone || !live.some((l) => l.id === t.id));
  const list = live.length && k % 5 !== 4 ? live : all;
  return list.length ? list[k % list.length] : undefined;
}

/** POST /v1/conversations/:id/messages by `a` into thread `t`, checked against the model. */
async function replyOnce(m: Model, r: Real, t: MThread, a: number, bodyIndex: number): Promise<void> {
  const o = m.other(t, a);
  if (m.m(a).status === 'closed') return;
  const text = BODIES[bodyIndex % 6]!;
  const res = await call(r, 'POST', `/v1/conversations/${t.id}/messages`, { ...tok(m, a), body: { body: text } });
  const what = `write into ${t.id} by ${H(m, a)}`;
  if (inactive(m, a, res, what)) return;
  if (t.gone || t.ignoredBy === a || !m.exists(a, o))
    // LENIENT on the code: the conversation (404 not_found) or the member (recipient_unavailable) does not exist for the caller.
    return C.status(res, 404, ['not_found', 'recipient_unavailable'], `${what}: a conversation that does not exist for the caller`);
  const d = m.messageDecision(a, o, { body: text });
  if (!d.allowed) {
    stat(`reply denied ${d.reason}`);
    return C.denial(res, d, what);
  }
  C.status(res, 201, undefined, what);
  stat(`reply ${d.channel}${t.starter === a ? ' by the starter' : ' by the recipient'}${t.accepted ? ' (accepted)' : ''}`);
  C.eq(
    { channel: res.body.message?.channel, conversation: String(res.body.conversation?.id) },
    { channel: d.channel, conversation: t.id },
    `${what}: channel and thread`,
    res,
  );
  const refundsBefore = t.messages.filter((x) => x.inmail?.refunded).length;
  m.applyMessage(a, o, { channel: d.channel!, delivery: d.delivery!, inmail: false }, { message: String(res.body.message.id), thread: t.id }, text, []);
  checkConversation(m, a, t, res.body.conversation, `${what}: the writer's view`, res);
  await afterMessage(m, r, a, o, t, refundsBefore, false, what);
}

export class Reply extends Cmd {
  constructor(
    readonly k: number,
    readonly side: boolean,
    readonly body: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.threads.length > 0;
  }
  async exec(m: Model, r: Real) {
    const t = pickThread(m, this.k)!;
    await replyOnce(m, r, t, this.side ? t.a : t.b, this.body);
  }
  toString() {
    return `reply(thread #${this.k}, ${this.side ? 'side a' : 'side b'}, ${JSON.stringify(BODIES[this.body % 6])})`;
  }
}

export class ConversationVerb extends Cmd {
  constructor(
    readonly k: number,
    readonly side: boolean,
    readonly verb: 'accept' | 'ignore' | 'report',
    readonly reason: 'spam' | 'harassment' | 'other',
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.threads.length > 0;
  }
  async exec(m: Model, r: Real) {
    const t = pickThread(m, this.k)!;
    // Accept and ignore: mostly by the recipient of the thread (the side a request lands on).
    const a = this.verb !== 'report' && !this.side ? (t.starter === t.a ? t.b : t.a) : this.side ? t.a : t.b;
    await conversationVerb(m, r, t, a, this.verb, this.reason);
  }
  toString() {
    return `${this.verb}Conversation(thread #${this.k}, ${this.side ? 'side a' : 'side b'}${this.verb === 'report' ? `, ${this.reason}` : ''})`;
  }
}

async function conversationVerb(
  m: Model,
  r: Real,
  t: MThread,
  a: number,
  verb: 'accept' | 'ignore' | 'report',
  reason: 'spam' | 'harassment' | 'other',
): Promise<void> {
  const o = m.other(t, a);
  if (m.m(a).status === 'closed') return;
  const body = verb === 'report' ? { reason: reason } : undefined;
  const res = await call(r, 'POST', `/v1/conversations/${t.id}/${verb}`, { ...tok(m, a), body });
  const what = `${verb}${verb === 'report' ? ` (${reason})` : ''} ${t.id} by ${H(m, a)}`;
  if (inactive(m, a, res, what)) return;
  if (t.gone || t.ignoredBy === a || !m.exists(a, o)) return C.status(res, 404, 'not_found', `${what}: a conversation that does not exist for the caller`);
  if (verb === 'report') {
    C.status(res, 200, undefined, what);
    const wasRestricted = m.m(o).restricted;
    const rep = m.applyReport(a, t, reason);
    stat(`report ${reason} ${rep.counts ? 'counting' : 'not counting'}`);
    if (!wasRestricted && m.m(o).restricted) stat('restricted by reports');
    await checkMe(m, r, o, `${what}: the reported member`);
    return;
  }
  const received = t.state === 'request' && t.starter !== a;
  if (!received) return C.status(res, 409, 'conflict', `${what}: not a request the caller received`);
  if (verb === 'accept') {
    // LENIENT: DOMAIN.md 1 lets a restricted member read, accept invitations, follow, block and
    // report; accepting a message request is not named either way.
    if (m.m(a).restricted) C.status(res, [200, 403], 'sender_restricted', what);
    else C.status(res, 200, undefined, what);
    if (res.status !== 200) return;
    t.state = 'open';
    t.accepted = true;
  } else {
    C.status(res, 200, undefined, what);
    m.ignoreRequest(t, a);
    return;
  }
  checkConversation(m, a, t, res.body, what, res);
}

/**
 * A report of spam or harassment. With `focus`, the member reported last is reported again by
 * someone who has not reported them yet (the distinct-reporters rule of DOMAIN.md 5 needs several).
 */
export class Report extends Cmd {
  constructor(
    readonly k: number,
    readonly focus: boolean,
    readonly reason: 'spam' | 'harassment',
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.threads.length > 0;
  }
  async exec(m: Model, r: Real) {
    const last = m.reports[m.reports.length - 1];
    if (this.focus && last) {
      const victim = last.reported;
      const done = new Set(m.reports.filter((x) => x.reported === victim).map((x) => x.reporter));
      const threads = m.threads.filter((t) => !t.gone && (t.a === victim || t.b === victim) && !done.has(m.other(t, victim)));
      if (threads.length) {
        const t = threads[this.k % threads.length]!;
        const reporter = m.other(t, victim);
        if (m.m(reporter).status !== 'closed') return conversationVerb(m, r, t, reporter, 'report', this.reason);
        return;
      }
    }
    const t = pickThread(m, this.k)!;
    const a = this.k % 2 ? t.a : t.b;
    if (m.m(a).status !== 'closed') await conversationVerb(m, r, t, a, 'report', this.reason);
  }
  toString() {
    return `report(thread #${this.k}${this.focus ? ', the member reported last again' : ''}, ${this.reason})`;
  }
}

/** GET /v1/attachments/:id as `who`: the uploader and the participants of a thread that carries it and still exists for them. */
async function checkFetch(m: Model, r: Real, att: MAttachment, who: number, why = ''): Promise<void> {
  const res = await call(r, 'GET', `/v1/attachments/${att.id}`, tok(m, who));
  const what = `${why}fetch attachment ${att.id} (by ${H(m, att.uploader)}) as ${H(m, who)}`;
  if (m.m(who).status === 'deactivated') {
    // LENIENT: whether a deactivated member may read attachments is not said (API.md lists what it may do).
    return C.status(res, [200, 403], undefined, what);
  }
  const v = m.attachmentVisible(who, att);
  stat(`fetch attachment: ${v}${[...att.threads].some((id) => m.thread(id)!.goneBy === 'block') ? ' (a thread gone by a block)' : ''}`);
  C.status(res, v === 'either' ? [200, 404] : v ? 200 : 404, undefined, what);
}

export class FetchAttachment extends Cmd {
  constructor(
    readonly k: number,
    readonly b: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.attachments.length > 0;
  }
  async exec(m: Model, r: Real) {
    const att = m.attachments[this.k % m.attachments.length]!;
    // Mostly the participants of a thread carrying it.
    const ts = [...att.threads].map((id) => m.thread(id)!);
    const who = ts.length && this.b % 3 !== 2 ? (this.b % 2 ? ts[0]!.a : ts[0]!.b) : anyMember(m, this.b);
    if (m.m(who).status === 'closed') return;
    await checkFetch(m, r, att, who);
  }
  toString() {
    return `fetchAttachment(#${this.k}, m${this.b})`;
  }
}

// ---------------------------------------------------------------- reads

/** GET /v1/members/:handle as `a` (DOMAIN.md 4 and 7): everything a profile shows, against the model. */
export async function checkProfile(m: Model, r: Real, a: number, b: number, why = ''): Promise<void> {
  const res = await call(r, 'GET', `/v1/members/${m.m(b).handle}`, tok(m, a));
  const what = `${why}profile of ${H(m, b)} as ${H(m, a)}`;
  if (inactive(m, a, res, what)) return;
  if (!m.exists(a, b)) return C.status(res, 404, 'not_found', `${what}: a member who does not exist for the viewer`);
  C.status(res, 200, undefined, what);
  const p = res.body;
  C.member(p.member, m.view(a, b), `${what}: member`, res);
  const self = a === b;
  stat(`profile primary ${m.primaryAction(a, b)}${m.connectionCount(a) >= m.policy.connectionCap ? ' (viewer at cap)' : ''}`);
  const degree = m.degree(a, b);
  const inv = m.invitationSeenBy(a, b);
  C.eq(
    {
      degree: p.degree,
      full: p.full,
      primaryAction: p.primaryAction,
      relationship: {
        connected: p.relationship?.connected,
        following: p.relationship?.following,
        followedBy: p.relationship?.followedBy,
        invitation: p.relationship?.invitation ? { id: String(p.relationship.invitation.id), direction: p.relationship.invitation.direction } : null,
      },
    },
    {
      degree,
      full: self || degree === 1,
      primaryAction: m.primaryAction(a, b),
      relationship: {
        connected: degree === 1,
        following: !self && m.following(a, b),
        followedBy: !self && m.following(b, a),
        invitation: inv ? { id: inv.inv.id, direction: inv.direction } : null,
      },
    },
    what,
    res,
  );
  // DOMAIN.md 7: outside the member's profileVisibility the mutual count is null. LENIENT: oneself.
  if (!self) C.eq(p.mutualConnections?.count, m.withinVisibility(a, b) ? m.mutuals(a, b).length : null, `${what}: mutualConnections.count`, res);
  C.decision(p.actions?.connect, m.connectDecision(a, b), `${what}: actions.connect`, res);
  C.decision(p.actions?.message, m.messageDecision(a, b, {}), `${what}: actions.message`, res);
  C.decision(p.actions?.inmail, m.messageDecision(a, b, { channel: 'inmail' }), `${what}: actions.inmail`, res);
  C.decision(p.actions?.follow, m.followDecision(a, b), `${what}: actions.follow`, res);
}

export class ViewProfile extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly rel = false,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    await checkProfile(m, r, a, this.rel ? related(m, a, this.b) : target(m, a, this.b));
  }
  toString() {
    return `viewProfile(m${this.a} views ${this.rel ? 'related ' : ''}m${this.b})`;
  }
}

/** GET /v1/members/:handle/decisions/message as `a` (the "why can't I message" answer). */
export async function checkWhy(m: Model, r: Real, a: number, b: number, why = ''): Promise<void> {
  const res = await call(r, 'GET', `/v1/members/${m.m(b).handle}/decisions/message`, tok(m, a));
  const what = `${why}why can't ${H(m, a)} message ${H(m, b)}`;
  if (inactive(m, a, res, what)) return;
  if (a !== b && !m.exists(a, b)) {
    // LENIENT: a member who does not exist for the caller: the decision recipient_unavailable, or 404.
    C.status(res, [200, 404], ['not_found', 'recipient_unavailable'], what);
    if (res.status === 200) C.decision(res.body, m.messageDecision(a, b, {}), what, res);
    return;
  }
  C.status(res, 200, undefined, what);
  C.decision(res.body, m.messageDecision(a, b, {}), what, res);
}

export class WhyMessage extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    await checkWhy(m, r, a, related(m, a, this.b));
  }
  toString() {
    return `whyMessage(m${this.a} -> related m${this.b})`;
  }
}

/** DOMAIN.md 10: each query word matches a word starting with it or differing by one letter (two from 8 letters). */
function searchMatches(m: Model, v: number, x: number, q: string): boolean {
  const mm = m.m(x);
  const words = [mm.handle, ...mm.name.split(/\s+/), ...(m.withinVisibility(v, x) ? mm.headline.split(/\s+/) : [])].map((w) => w.toLowerCase()).filter(Boolean);
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((qw) => words.some((w) => w.startsWith(qw) || levenshteinWithin(w, qw)));
}
function levenshteinWithin(w: string, q: string): boolean {
  const max = Math.max(w.length, q.length) >= 8 ? 2 : 1;
  if (Math.abs(w.length - q.length) > max) return false;
  const d = Array.from({ length: w.length + 1 }, (_, i) => [i, ...Array<number>(q.length).fill(0)]);
  for (let j = 1; j <= q.length; j++) d[0]![j] = j;
  for (let i = 1; i <= w.length; i++)
    for (let j = 1; j <= q.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (w[i - 1] === q[j - 1] ? 0 : 1));
  return d[w.length]![q.length]! <= max;
}

export class Search extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const b = target(m, a, this.b);
    const q = m.m(b).handle;
    const res = await call(r, 'GET', `/v1/search/members?q=${encodeURIComponent(q)}&limit=100`, tok(m, a));
    const what = `search ${JSON.stringify(q)} as ${H(m, a)}`;
    if (inactive(m, a, res, what)) return;
    C.status(res, 200, undefined, what);
    const ours = new Map(m.members.map((x) => [x.handle, x.i]));
    const got = (res.body.items as any[]).filter((it) => ours.has(it.member?.handle));
    // LENIENT: whether the viewer finds themselves is not said.
    const expected = m.members.filter((x) => x.i !== a && m.exists(a, x.i) && searchMatches(m, a, x.i, q)).map((x) => x.i);
    C.eq(
      got
        .map((it) => it.member.handle)
        .filter((h) => h !== m.m(a).handle)
        .sort(),
      expected.map((i) => m.m(i).handle).sort(),
      `${what}: members found`,
      res,
    );
    for (const it of got) {
      const x = ours.get(it.member.handle)!;
      if (x === a) continue;
      C.member(it.member, m.view(a, x), `${what}: result ${H(m, x)}`, res);
      C.eq(it.degree, m.degree(a, x), `${what}: degree of ${H(m, x)}`, res);
    }
  }
  toString() {
    return `search(m${this.a} looks for m${this.b})`;
  }
}

export class Suggestions extends Cmd {
  constructor(readonly a: number) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const res = await call(r, 'GET', '/v1/suggestions?limit=100', tok(m, a));
    const what = `suggestions for ${H(m, a)}`;
    if (inactive(m, a, res, what)) return;
    C.status(res, 200, undefined, what);
    const items = res.body.items as any[];
    const byHandle = new Map(m.members.map((x) => [x.handle, x.i]));
    // DOMAIN.md 10: 2nd-degree members, skipping those with a pending or ignored invitation either way.
    // LENIENT: a member whose ignored invitation has since expired may be skipped or not.
    const ignoredExpired = (x: number) =>
      m.invitations.some((i) => ((i.from === a && i.to === x) || (i.from === x && i.to === a)) && i.status === 'ignored' && m.expired(i));
    // The server's choice where DOMAIN.md is silent: a member who reported an invitation from the viewer
    // ("I don't know them") is not suggested to the viewer again (src/services/profiles.ts suggestions).
    const reportedMine = (x: number) => m.invitations.some((i) => i.from === a && i.to === x && i.reportedAt !== null);
    const expected = m.members.filter((x) => m.degree(a, x.i) === 2 && !m.openInvitation(a, x.i) && !reportedMine(x.i)).map((x) => x.i);
    const got = items.map((it) => byHandle.get(it.member?.handle)).filter((x): x is number => x !== undefined);
    const strictGot = got.filter((x) => !ignoredExpired(x)).sort();
    const strictExp = expected.filter((x) => !ignoredExpired(x)).sort();
    C.eq(
      strictGot.map((x) => m.m(x).handle),
      strictExp.map((x) => m.m(x).handle),
      `${what}: members`,
      res,
    );
    for (const it of items) {
      const x = byHandle.get(it.member?.handle);
      if (x === undefined || !expected.includes(x)) continue;
      C.member(it.member, m.view(a, x), `${what}: ${H(m, x)}`, res);
      C.eq(it.mutualConnections, m.withinVisibility(a, x) ? m.mutuals(a, x).length : null, `${what}: mutualConnections of ${H(m, x)}`, res);
    }
    // Ranked by mutual connections (where the viewer may see the count).
    const counts = items.map((it) => it.mutualConnections).filter((c): c is number => typeof c === 'number');
    if (counts.length === items.length)
      for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[i - 1]!) C.fail(`${what}: ranked by mutual connections`, 'non-increasing', counts, res);
  }
  toString() {
    return `suggestions(m${this.a})`;
  }
}

export class ListInvitations extends Cmd {
  constructor(
    readonly a: number,
    readonly direction: 'received' | 'sent',
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const res = await call(r, 'GET', `/v1/invitations?direction=${this.direction}&limit=100`, tok(m, a));
    const what = `${this.direction} invitations of ${H(m, a)}`;
    if (inactive(m, a, res, what)) return;
    C.status(res, 200, undefined, what);
    const expected = m.invitations.filter((inv) => {
      if (m.expired(inv)) return false;
      if (this.direction === 'received') return inv.to === a && inv.status === 'pending' && m.exists(a, inv.from);
      return inv.from === a && (inv.status === 'pending' || inv.status === 'ignored') && m.exists(a, inv.to);
    });
    const items = res.body.items as any[];
    C.eq(items.map((x) => String(x.id)).sort(), expected.map((x) => x.id).sort(), `${what}: ids`, res);
    for (const it of items) {
      const inv = expected.find((x) => x.id === String(it.id))!;
      C.eq({ note: it.note, status: it.status }, { note: inv.note, status: 'pending' }, `${what}: invitation ${inv.id}`, res);
      C.member(it.from, m.view(a, inv.from), `${what}: invitation ${inv.id} from`, res);
      C.member(it.to, m.view(a, inv.to), `${what}: invitation ${inv.id} to`, res);
    }
  }
  toString() {
    return `listInvitations(m${this.a}, ${this.direction})`;
  }
}

export class ListConnections extends Cmd {
  constructor(readonly a: number) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const res = await call(r, 'GET', '/v1/connections?limit=100', tok(m, a));
    const what = `connections of ${H(m, a)}`;
    if (inactive(m, a, res, what)) return;
    C.status(res, 200, undefined, what);
    const expected = m.connectionsOf(a).filter((x) => m.exists(a, x));
    const items = res.body.items as any[];
    C.eq(items.map((x) => x.handle).sort(), expected.map((x) => m.m(x).handle).sort(), `${what}: members`, res);
    for (const it of items) {
      const x = m.members.find((mm) => mm.handle === it.handle)!;
      C.member(it, m.view(a, x.i), `${what}: ${H(m, x.i)}`, res);
    }
  }
  toString() {
    return `listConnections(m${this.a})`;
  }
}

export class ListConversations extends Cmd {
  constructor(
    readonly a: number,
    readonly folder: 'inbox' | 'requests',
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const res = await call(r, 'GET', `/v1/conversations?folder=${this.folder}&limit=100`, tok(m, a));
    const what = `${this.folder} of ${H(m, a)}`;
    if (inactive(m, a, res, what)) return;
    C.status(res, 200, undefined, what);
    const mine = m.threads.filter((t) => !t.gone && (t.a === a || t.b === a) && t.ignoredBy !== a && m.folderOf(t, a) === this.folder);
    // LENIENT: a thread whose other side is deactivated or closed may be listed or not (the contract is silent).
    const strict = mine.filter((t) => m.isActive(m.other(t, a)));
    const optional = new Set(mine.filter((t) => !m.isActive(m.other(t, a))).map((t) => t.id));
    const items = (res.body.items as any[]).filter((x) => !optional.has(String(x.id)));
    C.eq(items.map((x) => String(x.id)).sort(), strict.map((t) => t.id).sort(), `${what}: conversations`, res);
    for (const it of items) checkConversation(m, a, m.thread(String(it.id))!, it, what, res);
  }
  toString() {
    return `listConversations(m${this.a}, ${this.folder})`;
  }
}

/** GET /v1/conversations/:id/messages as one side: what DOMAIN.md 5 leaves them (an ignored request stays deleted for its recipient). */
export class ListMessages extends Cmd {
  constructor(
    readonly k: number,
    readonly side: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.threads.length > 0;
  }
  async exec(m: Model, r: Real) {
    const t = pickThread(m, this.k)!;
    await checkMessages(m, r, t, this.side ? t.a : t.b);
  }
  toString() {
    return `listMessages(thread #${this.k}, ${this.side ? 'side a' : 'side b'})`;
  }
}

/** The messages of thread `t` as side `a` lists them, against the model. */
async function checkMessages(m: Model, r: Real, t: MThread, a: number, why = ''): Promise<void> {
  const o = m.other(t, a);
  if (m.m(a).status === 'closed') return;
  const res = await call(r, 'GET', `/v1/conversations/${t.id}/messages?limit=100`, tok(m, a));
  const what = `${why}messages of ${t.id} as ${H(m, a)}`;
  if (inactive(m, a, res, what)) return;
  if (t.gone || t.ignoredBy === a || !m.exists(a, o)) return C.status(res, 404, 'not_found', `${what}: a conversation that does not exist for the caller`);
  // LENIENT: a thread whose other side is deactivated or closed may be listed or not (the contract is silent).
  if (!m.isActive(o)) return C.status(res, [200, 404], undefined, what);
  C.status(res, 200, undefined, what);
  const seen = m.messagesSeenBy(a, t.id);
  const hidden = m.threads.filter((x) => x.id === t.id).reduce((n, x) => n + x.messages.length, 0) - seen.length;
  stat(`list messages${hidden ? ' (some gone for the reader)' : ''}`);
  C.eq(
    (res.body.items as { id: unknown }[]).map((x) => String(x.id)),
    seen.map((x) => x.id),
    `${what}: message ids, newest first`,
    res,
  );
}

export class Me extends Cmd {
  constructor(readonly a: number) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    await checkMe(m, r, a, 'me');
  }
  toString() {
    return `me(m${this.a})`;
  }
}

// ---------------------------------------------------------------- introductions (DOMAIN.md 11)

const INTRO_NOTES = ['none', 'short', 'spaces', 'long'] as const;
type IntroNoteKind = (typeof INTRO_NOTES)[number];
function introNote(m: Model, kind: IntroNoteKind, text: string): string | undefined {
  return kind === 'none' ? undefined : kind === 'short' ? text : kind === 'spaces' ? ' \n\t ' : 'i'.repeat(m.policy.noteMaxChars + 1);
}
/** DOMAIN.md 3 and 11: a note of only whitespace is no note. */
const storedNote = (note: string | undefined) => (note !== undefined && note.trim() !== '' ? note : null);
const IH = (m: Model, x: MIntro) => `ask ${x.id} (${H(m, x.asker)} via ${H(m, x.via)} to ${H(m, x.target)}, ${x.status})`;

/** API.md `Introduction` as member v sees it. */
function checkIntro(m: Model, v: number, x: MIntro, item: any, what: string, res: Res) {
  C.eq(
    { id: String(item?.id), note: item?.note, forwardNote: item?.forwardNote, status: item?.status, conversationId: item?.conversationId },
    {
      id: x.id,
      note: x.note,
      forwardNote: x.forwardNote,
      status: m.introStatus(x),
      // the asker learns where a forwarded introduction led; the introducer never does
      conversationId: v === x.asker && x.status === 'forwarded' && x.thread !== null ? x.thread : undefined,
    },
    `${what}: ${IH(m, x)} as ${H(m, v)} sees it`,
    res,
  );
  C.member(item?.from, m.view(v, x.asker), `${what}: ${IH(m, x)} from`, res);
  C.member(item?.via, m.view(v, x.via), `${what}: ${IH(m, x)} via`, res);
  C.member(item?.to, m.view(v, x.target), `${what}: ${IH(m, x)} to`, res);
}

/** GET /v1/introductions?role= as v: `asked` every ask of v, newest first; `to_forward` the open asks waiting for v. */
async function checkIntroList(m: Model, r: Real, v: number, role: 'asked' | 'to_forward', why = ''): Promise<void> {
  if (m.m(v).status === 'closed') return;
  const res = await call(r, 'GET', `/v1/introductions?role=${role}&limit=100`, tok(m, v));
  const what = `${why}introductions ${role} of ${H(m, v)}`;
  if (inactive(m, v, res, what)) return;
  C.status(res, 200, undefined, what);
  const expected = m.intros.filter((x) => (role === 'asked' ? x.asker === v : x.via === v && m.introOpen(x)) && m.introSeenBy(v, x)).reverse();
  const vanished = m.intros.filter((x) => (role === 'asked' ? x.asker === v : x.via === v) && !m.introSeenBy(v, x));
  if (vanished.length) stat(`intro list ${role}: an ask vanished`);
  const items = res.body.items as any[];
  C.eq(
    items.map((x) => String(x.id)),
    expected.map((x) => x.id),
    `${what}: ids, newest first`,
    res,
  );
  items.forEach((it, n) => checkIntro(m, v, expected[n]!, it, what, res));
}

/** The lists of the three members of the asks of a pair (after a block: who still sees what). */
async function checkIntroListsOf(m: Model, r: Real, a: number, b: number, why: string): Promise<void> {
  const touched = m.intros.filter((x) => [x.asker, x.via, x.target].includes(a) && [x.asker, x.via, x.target].includes(b));
  if (!touched.length) return;
  stat('intro lists after a block');
  const who = new Set(touched.flatMap((x) => [x.asker, x.via]));
  for (const v of who)
    if (m.m(v).status === 'active') await checkIntroList(m, r, v, m.intros.some((x) => x.asker === v && touched.includes(x)) ? 'asked' : 'to_forward', why);
}

/**
 * Makes a path A - B - C of the model by invitations and acceptances (each step compared as in
 * `connect`) where the connection caps leave room: B and C picked by `k` among the choices.
 * Returns [B, C], or undefined when no choice is left.
 */
async function makePath(m: Model, r: Real, me: number, k: number): Promise<[number, number] | undefined> {
  const cap = m.policy.connectionCap;
  const room = (x: number, extra = 0) => m.connectionCount(x) + extra < cap;
  const ok = (x: number) => x !== me && m.m(x).status === 'active' && !m.blockedEither(me, x);
  const choices = m.members.flatMap((v) =>
    m.members
      .filter((t) => ok(v.i) && ok(t.i) && t.i !== v.i && !m.connected(me, t.i) && !m.blockedEither(v.i, t.i))
      .filter((t) => (m.connected(me, v.i) || (room(me) && room(v.i))) && (m.connected(v.i, t.i) || (room(t.i) && room(v.i, m.connected(me, v.i) ? 0 : 1))))
      .map((t) => [v.i, t.i] as [number, number]),
  );
  if (!choices.length) return undefined;
  const [via, c] = choices[k % choices.length]!;
  stat('ask: a path made first');
  for (const [x, y] of [
    [me, via],
    [via, c],
  ] as const)
    await link(m, r, x, y);
  return [via, c];
}

/** x invites y and y accepts (each step compared), unless they are connected or one is not active. */
async function link(m: Model, r: Real, x: number, y: number): Promise<void> {
  if (x === y || m.connected(x, y) || m.m(x).status !== 'active' || m.m(y).status !== 'active') return;
  await invite(m, r, x, y, 'none', false, false);
  const inv = m.invitations.find((i) => i.from === x && i.to === y && i.status === 'pending' && !m.expired(i));
  if (inv) await respondTo(m, r, inv, 'accept');
}

/** A asks B about C (compared with the model's decision): the ask when it was made, else the refusal's reason. */
async function askOnce(m: Model, r: Real, a: number, via: number, c: number, noteKind: IntroNoteKind): Promise<{ ask?: MIntro; refused?: string }> {
  const note = introNote(m, noteKind, 'We both work on search');
  const body: Record<string, unknown> = { to: m.m(c).handle, via: m.m(via).handle };
  if (note !== undefined) body.note = note;
  const res = await call(r, 'POST', '/v1/introductions', { ...tok(m, a), body });
  const what = `ask ${H(m, a)} via ${H(m, via)} to ${H(m, c)}`;
  if (inactive(m, a, res, what)) return { refused: 'sender_inactive' };
  const stored = storedNote(note);
  const d = m.askDecision(a, via, c, stored);
  if (!d.allowed) {
    stat(`ask refused ${d.reason}`);
    C.denial(res, d, what);
    return { refused: d.reason };
  }
  C.status(res, 201, undefined, what);
  stat(`ask ${stored === null ? 'without' : 'with'} a note`);
  const x: MIntro = {
    id: String(res.body.id),
    asker: a,
    via,
    target: c,
    note: stored,
    forwardNote: null,
    status: 'asked',
    createdAt: new Date(m.now),
    respondedAt: null,
    thread: null,
  };
  m.intros.push(x);
  m.notify(via, 'introduction.asked', a);
  checkIntro(m, a, x, res.body, what, res);
  return { ask: x };
}

/**
 * A asks B to introduce them to C. Aimed: mostly B among A's connections and C among B's other
 * connections (the asks the rules let through), sometimes B or C anyone (the refusals).
 */
export class AskIntro extends Cmd {
  constructor(
    readonly a: number,
    readonly v: number,
    readonly c: number,
    readonly note: IntroNoteKind,
    readonly aim: number,
    /** B answers at once (the forward with the ask's note kind), or not; `unlink`: B removes C, then forwards. */
    readonly then: 'none' | 'forward' | 'decline' | 'unlink' = 'none',
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    let a = actor(m, this.a);
    if (a === undefined) return;
    let via: number;
    let c: number;
    // aim 0: an ask made before (declined or expired: again, toward the pause); aim 1: a path A - B - C
    // of the model (the asks the rules let through); aim 2: B one of A's connections, C anyone; 3: anyone.
    const asked = m.intros.filter((x) => m.m(x.asker).status !== 'closed');
    const answered = asked.filter((x) => !m.introOpen(x));
    const before = answered.length && this.v % 4 !== 3 ? answered : asked;
    const paths = m.members.flatMap((x) =>
      x.status === 'closed'
        ? []
        : m.connectionsOf(x.i).flatMap((y) =>
            m
              .connectionsOf(y)
              .filter((z) => z !== x.i && !m.connected(x.i, z))
              .map((z) => [x.i, y, z] as const),
          ),
    );
    if (this.aim === 0 && before.length) {
      const x = before[this.c % before.length]!;
      [a, via, c] = [x.asker, x.via, x.target];
    } else if (this.aim <= 1 && paths.length) {
      [a, via, c] = paths[(this.a * 8 + this.c) % paths.length]!;
    } else if (this.aim <= 1 && m.members.length >= 3) {
      const made = await makePath(m, r, a, this.v * 8 + this.c);
      if (!made) return;
      [via, c] = made;
    } else {
      // aim 2: C a 2nd-degree member of A when there is one, B one of A's connections (mostly one who does not know C).
      const me = a;
      const vias = m.connectionsOf(me);
      const second = m.members.filter((x) => m.degree(me, x.i) === 2);
      c = this.aim === 2 && second.length ? second[this.c % second.length]!.i : target(m, me, this.c);
      const strangers = vias.filter((y) => !m.connected(y, c));
      via =
        this.aim === 2 && strangers.length && this.v % 4 !== 3
          ? strangers[this.v % strangers.length]!
          : this.aim <= 2 && vias.length
            ? vias[this.v % vias.length]!
            : anyMember(m, this.v);
    }
    const x = (await askOnce(m, r, a, via, c, this.note)).ask;
    if (!x) return;
    if (this.then === 'unlink') {
      // DOMAIN.md 11: B forwards only while C is still B's connection.
      const un = await call(r, 'DELETE', `/v1/connections/${m.m(c).handle}`, tok(m, via));
      C.status(un, 204, undefined, `ask ${IH(m, x)}: B removes C`);
      m.disconnect(via, c);
    }
    if (this.then !== 'none' && m.m(via).status !== 'closed')
      await answerIntro(m, r, x, via, this.then === 'decline' ? 'decline' : 'forward', this.note === 'long' ? 'short' : this.note);
  }
  toString() {
    const how = ['an ask made before', 'a path A - B - C', "B one of A's connections, C 2nd degree", 'anyone'][this.aim];
    return `askIntro(m${this.a}, #${this.v}, #${this.c}, ${how}, note ${this.note}${this.then !== 'none' ? `, then ${this.then}` : ''})`;
  }
}

/**
 * Aimed at the ask refusals random histories of 60 commands with a connection cap of 2 hardly
 * reach (issue 21; the model's `askDecision` states each rule, every ask is compared):
 * - `again`: A asks about C while the pair's first ask is still open (`awaiting_response`), through
 *   the same B or another of A's connections; sometimes B declines first (then it is allowed);
 * - `shape`: a path A - B - C (made first when A has none), plus a connection of A's who does not
 *   know C and a connection of C's whom A does not know (made where the caps leave room), and A asks
 *   about C through each of them (`not_in_reach`), and through B;
 * - `burst`: A asks about C through B several times in a row, B declining each at once (now and
 *   then leaving one open): the monthly limit after `introductionsPerMonth` asks, with the clock
 *   moved to the 1st of next month before one of them, so that B's third decline within 30 days
 *   pauses A's asks through B (`introductions_paused`); then, sometimes, 90 days on and A asks
 *   again (the pause has lifted).
 */
export class IntroRun extends Cmd {
  constructor(
    readonly kind: 'again' | 'shape' | 'burst',
    readonly a: number,
    readonly k: number,
    readonly n: number,
    readonly note: IntroNoteKind,
    /** burst: 90 days on after a pause, and A asks again */
    readonly later = false,
  ) {
    super();
  }
  /** A path A - B - C of the model's where the ask is allowed so far, or one made now. */
  private async path(m: Model, r: Real, a: number): Promise<[number, number] | undefined> {
    const good = (y: number, z: number) =>
      z !== a &&
      !m.connected(a, z) &&
      m.m(y).status === 'active' &&
      m.m(z).status === 'active' &&
      m.m(z).settings.messagesFrom !== 'connections' &&
      m.degree(a, z) === 2 &&
      m.exists(a, y) &&
      m.exists(a, z);
    const mine = m.connectionsOf(a).flatMap((y) =>
      m
        .connectionsOf(y)
        .filter((z) => good(y, z))
        .map((z) => [y, z] as [number, number]),
    );
    if (mine.length) return mine[this.k % mine.length];
    if (m.members.length < 3) return undefined;
    return makePath(m, r, a, this.k);
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined || m.m(a).status !== 'active' || m.m(a).restricted) return;
    const p = await this.path(m, r, a);
    if (!p) return;
    const [b, c] = p;
    if (this.kind === 'again') {
      let open = m.intros.find((x) => x.asker === a && x.target === c && m.introOpen(x));
      if (!open) {
        tick(m, r);
        open = (await askOnce(m, r, a, b, c, this.note)).ask;
      }
      if (!open) return;
      if (this.n === 3) {
        tick(m, r);
        await answerIntro(m, r, open, open.via, 'decline', 'none');
      }
      // through the same B, or another of A's connections who knows C, or any of A's connections
      const others = m.connectionsOf(a).filter((y) => y !== open.via && m.connected(y, c));
      const via =
        this.n === 1 && others.length
          ? others[this.k % others.length]!
          : this.n === 2 && m.connectionsOf(a).length
            ? m.connectionsOf(a)[this.k % m.connectionsOf(a).length]!
            : open.via;
      tick(m, r);
      stat(`intro run again${this.n === 3 ? ' after a decline' : ''}`);
      await askOnce(m, r, a, via, c, this.note);
      return;
    }
    if (this.kind === 'shape') {
      const cap = m.policy.connectionCap;
      const free = (x: number) => m.connectionCount(x) < cap;
      const spare = (x: number) =>
        x !== a && x !== b && x !== c && m.m(x).status === 'active' && !m.m(x).restricted && !m.blockedEither(x, a) && !m.blockedEither(x, c) && free(x);
      let stranger = m.connectionsOf(a).find((y) => y !== b && !m.connected(y, c));
      if (stranger === undefined && free(a)) {
        let y = m.members.map((x) => x.i).find((x) => spare(x) && !m.connected(x, c));
        if (y === undefined && m.members.length < MAX_MEMBERS) {
          await signUp(m, r);
          y = m.members.length - 1;
        }
        if (y !== undefined) {
          await link(m, r, a, y);
          if (m.connected(a, y)) stranger = y;
        }
      }
      let far = m.connectionsOf(c).find((y) => y !== b && y !== a && !m.connected(y, a));
      if (far === undefined && free(c)) {
        let y = m.members.map((x) => x.i).find((x) => spare(x) && !m.connected(x, a));
        if (y === undefined && m.members.length < MAX_MEMBERS) {
          await signUp(m, r);
          y = m.members.length - 1;
        }
        if (y !== undefined) {
          await link(m, r, y, c);
          if (m.connected(y, c)) far = y;
        }
      }
      const vias = [stranger, far, b].filter((y): y is number => y !== undefined);
      // in an order of k's: the refusals first, or the allowed ask first
      if (this.k % 2 === 1) vias.reverse();
      for (const via of vias) {
        tick(m, r);
        stat(
          `intro run shape: via ${via === stranger ? "a connection of A's who does not know C" : via === far ? "a connection of C's whom A does not know" : 'B'}`,
        );
        await askOnce(m, r, a, via, c, this.note);
      }
      return;
    }
    // burst: asks through B, each declined at once (one left open when n says so)
    const asks = 4 + (this.n % 3);
    const jump = [-1, 0, 1, 2, 2, 1, 2, -1][this.k % 8]!;
    const keepOpen = this.n >= 6 ? this.n - 6 : -1;
    let wasPaused = false;
    for (let i = 0; i < asks; i++) {
      if (i === jump) {
        const to = nextMonthStart(m.now).getTime() + 13 * MINUTE;
        tick(m, r, to - m.now.getTime());
        stat('intro run burst: to the 1st of next month');
      } else tick(m, r);
      if (m.introPausedUntil(a, b)) wasPaused = true;
      const { ask: x, refused } = await askOnce(m, r, a, b, c, this.note);
      // a refusal other than the three the burst is after ends it (C's settings, a path gone)
      if (refused !== undefined && !['awaiting_response', 'introductions_paused', 'monthly_limit'].includes(refused)) return;
      if (x && i !== keepOpen) {
        tick(m, r);
        await answerIntro(m, r, x, b, 'decline', 'none');
      }
    }
    if (m.introPausedUntil(a, b)) wasPaused = true;
    if (wasPaused && this.later) {
      // 90 days on: the pause has lifted (B's last decline is 90 days and some seconds old)
      tick(m, r, 90 * DAY + MINUTE);
      const paused = m.introPausedUntil(a, b) !== null;
      const x = (await askOnce(m, r, a, b, c, this.note)).ask;
      stat(`intro run burst: 90 days after a pause, ${paused ? 'still paused' : x ? 'the ask allowed' : 'refused for another reason'}`);
    }
  }
  toString() {
    return `introRun(${this.kind}, m${this.a}, #${this.k}, ${this.n}, note ${this.note}${this.later ? ', 90 days later' : ''})`;
  }
}

/** B (or someone else: 404) forwards or declines ask x. */
async function answerIntro(m: Model, r: Real, x: MIntro, b: number, verb: 'forward' | 'decline', noteKind: IntroNoteKind): Promise<void> {
  if (m.m(b).status === 'closed') return;
  const note = verb === 'forward' ? introNote(m, noteKind, 'Ann is great, talk to her') : undefined;
  const res = await call(r, 'POST', `/v1/introductions/${x.id}/${verb}`, {
    ...tok(m, b),
    body: verb === 'forward' ? (note !== undefined ? { note } : {}) : undefined,
  });
  const what = `${verb} ${IH(m, x)} by ${H(m, b)}`;
  if (inactive(m, b, res, what)) return;
  // Only B may act on it, and only while the asker and the target exist for B (else it vanished).
  if (b !== x.via) return C.status(res, 404, 'not_found', `${what}: not the introducer`);
  if (!m.exists(b, x.asker) || !m.exists(b, x.target)) {
    stat(`${verb}: the ask vanished for the introducer`);
    return C.status(res, 404, 'not_found', `${what}: the asker or the target no longer exists for the introducer`);
  }
  // LENIENT on the code: an ask no longer open (forwarded, declined, expired) is a conflict (409 `conflict`).
  if (!m.introOpen(x)) {
    stat(`${verb}: not open (${m.introExpired(x) ? 'expired' : x.status})`);
    return C.status(res, 409, undefined, `${what}: no longer open`);
  }
  if (verb === 'decline') {
    C.status(res, 200, undefined, what);
    x.status = 'declined';
    x.respondedAt = new Date(m.now);
    stat('decline');
    return checkIntro(m, b, x, res.body, what, res);
  }
  // DOMAIN.md 1: a restricted member may not send messages, and a forward carries B's note to C.
  if (m.m(b).restricted) {
    stat('forward refused sender_restricted');
    return C.status(res, 403, 'sender_restricted', `${what}: a restricted introducer`);
  }
  // DOMAIN.md 11: only while C, and A, are still B's connections.
  if (!m.connected(b, x.target) || !m.connected(b, x.asker)) {
    stat(`forward refused not_in_reach (${m.connected(b, x.target) ? 'the asker' : 'the target'} parted)`);
    return C.status(res, 403, 'not_in_reach', `${what}: the target or the asker is no longer the introducer's connection`);
  }
  const fwdNote = storedNote(note);
  if (fwdNote !== null && [...fwdNote].length > m.policy.noteMaxChars) return C.status(res, 400, 'note_too_long', `${what}: note too long`);
  const delivery = m.introDelivery(x.asker, x.target);
  if (delivery.kind === 'denied') {
    stat(`forward refused ${delivery.reason}`);
    return C.status(res, 403, delivery.reason, `${what}: the target's settings`);
  }
  C.status(res, 200, undefined, what);
  x.status = 'forwarded';
  x.forwardNote = fwdNote;
  x.respondedAt = new Date(m.now);
  stat(`forward ${delivery.kind === 'ok' ? delivery.delivery : 'silently (nothing reaches C)'}`);
  if (delivery.kind === 'ok') await deliverIntro(m, r, x, delivery.delivery, what);
  checkIntro(m, b, x, res.body, what, res);
  if (m.m(x.asker).status === 'active') await checkIntroList(m, r, x.asker, 'asked', `${what}: `);
}

/** An ask by index: open ones first (the interesting ones), sometimes any. */
function pickIntro(m: Model, k: number): MIntro | undefined {
  const open = m.intros.filter((x) => m.introOpen(x));
  const list = open.length && k % 4 !== 3 ? open : m.intros;
  return list.length ? list[k % list.length] : undefined;
}

/** B forwards (with a note or not) or declines an ask; now and then someone else than B tries (404). */
export class AnswerIntro extends Cmd {
  constructor(
    readonly k: number,
    readonly verb: 'forward' | 'decline',
    readonly note: IntroNoteKind,
    readonly who: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>) {
    return m.intros.length > 0;
  }
  async exec(m: Model, r: Real) {
    const x = pickIntro(m, this.k)!;
    const b = this.who === 3 ? x.asker : this.who === 4 ? x.target : x.via;
    await answerIntro(m, r, x, b, this.verb, this.note);
  }
  toString() {
    return `${this.verb}Intro(#${this.k}${this.verb === 'forward' ? `, note ${this.note}` : ''}${this.who === 3 ? ', by the asker' : this.who === 4 ? ', by the target' : ''})`;
  }
}

/**
 * After a forward that reaches C: the conversation of A and C (in A's inbox: the model learns its
 * id and the message's from there) carries a last message on channel `introduction` from A with
 * `introducedBy` B, and C finds it in the folder the model expects (tier reach plays no part; C's
 * settings do), or not at all when C had ignored the pair's request and the two are now connected.
 */
async function deliverIntro(m: Model, r: Real, x: MIntro, delivery: 'inbox' | 'request', what: string) {
  const [a, c] = [x.asker, x.target];
  const mine = await call(r, 'GET', '/v1/conversations?folder=inbox&limit=100', tok(m, a));
  C.status(mine, 200, undefined, `${what}: the asker's inbox`);
  const item = (mine.body.items as any[]).find((it) => (it.participants as any[]).some((p) => p.handle === m.m(c).handle));
  if (!item) C.fail(`${what}: the conversation with ${H(m, c)} in the asker's inbox`, 'present', 'absent', mine);
  const id = String(item.id);
  const live = m.liveThread(a, c);
  if (live && live.id !== id) C.fail(`${what}: the introduction goes into the pair's conversation ${live.id}`, live.id, id, mine);
  const gone = m.threads.filter((t) => t.gone && t.goneBy === 'block' && ((t.a === a && t.b === c) || (t.a === c && t.b === a)));
  if (!live && gone.some((t) => t.id === id)) C.fail(`${what}: a thread gone after a block stays gone (DOMAIN.md 6)`, 'a new id', id, mine);
  const intro = (msg: any, v: number, who: string, res: Res) => {
    C.eq(
      { channel: msg?.channel, sender: msg?.sender?.handle, introducedBy: msg?.introducedBy?.handle },
      { channel: 'introduction', sender: m.m(a).handle, introducedBy: m.m(x.via).handle },
      `${what}: the introduction as the ${who} sees it`,
      res,
    );
    C.member(msg?.introducedBy, m.view(v, x.via), `${what}: introducedBy as the ${who} sees them`, res);
  };
  intro(item.lastMessage, a, 'asker', mine);
  const before = live ? live.messages.filter((y) => y.inmail?.refunded).length : 0;
  const t = m.applyMessage(
    a,
    c,
    { channel: 'introduction', delivery, inmail: false },
    { message: String(item.lastMessage?.id), thread: id },
    x.note ?? `${m.m(x.via).name} introduced us.`,
    [],
    { introduction: true, via: x.via },
  );
  x.thread = t.id;
  stat(`introduction delivered ${delivery}${live ? ' into an existing thread' : ''}`);
  checkConversation(m, a, t, item, `${what}: the asker's view`, mine);
  const folder = m.folderOf(t, c);
  const res = await call(r, 'GET', `/v1/conversations?folder=${folder}&limit=100`, tok(m, c));
  C.status(res, 200, undefined, `${what}: the target's ${folder}`);
  const theirs = (res.body.items as any[]).find((it) => String(it.id) === id);
  if (t.ignoredBy === c) {
    stat('introduction into a request the target ignored');
    if (theirs) C.fail(`${what}: a request the target ignored stays out of their ${folder}`, 'absent', theirs, res);
  } else {
    if (!theirs) C.fail(`${what}: conversation ${id} in the target's ${folder}`, 'present', 'absent', res);
    intro(theirs.lastMessage, c, 'target', res);
    checkConversation(m, c, t, theirs, `${what}: the target's view`, res);
  }
  if (t.messages.filter((y) => y.inmail?.refunded).length > before) await checkMe(m, r, c, `${what}: the refunded credits`);
}

export class ListIntros extends Cmd {
  constructor(
    readonly k: number,
    readonly role: 'asked' | 'to_forward',
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    // Mostly the asker or the introducer of an ask.
    const x = m.intros.length && this.k % 4 !== 3 ? m.intros[this.k % m.intros.length]! : undefined;
    const v = x ? (this.role === 'asked' ? x.asker : x.via) : actor(m, this.k);
    if (v === undefined) return;
    await checkIntroList(m, r, v, this.role);
  }
  toString() {
    return `listIntros(#${this.k}, ${this.role})`;
  }
}

/** A step of a pair's history (PairRun): who writes, answers, connects or parts. */
export type PairStep =
  | 'a writes'
  | 'b writes'
  | 'a inmail'
  | 'b replies'
  | 'a replies'
  | 'b ignores'
  | 'b accepts'
  | 'connect'
  | 'part'
  | 'block'
  | 'unblock'
  | 'a buys credits'
  | 'a goes premium';
const PAIR_STEPS: PairStep[] = [
  'a writes',
  'a writes',
  'b writes',
  'a inmail',
  'b replies',
  'a replies',
  'b ignores',
  'b ignores',
  'b accepts',
  'connect',
  'part',
  'block',
  'unblock',
  'a buys credits',
  'a goes premium',
];

/**
 * One pair's history in one command: a run of requests, answers, InMails, connections made and
 * removed, blocks and unblocks between the same two members, each step checked against the model.
 * The generator alone rarely aims several commands at one pair (request, ignore, connect, message
 * took a reviewer to find); this makes such histories common.
 */
export class PairRun extends Cmd {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly steps: PairStep[],
  ) {
    super();
  }
  async exec(m: Model, r: Real) {
    const a = actor(m, this.a);
    if (a === undefined) return;
    const b = target(m, a, this.b);
    if (a === b) return;
    stat('pair run');
    for (const [i, step] of this.steps.entries()) {
      if (m.m(a).status === 'closed' || m.m(b).status === 'closed') return;
      tick(m, r);
      r.trace.push(`    ${step}`);
      const t = m.liveThread(a, b);
      switch (step) {
        case 'a writes':
        case 'b writes':
        case 'a inmail': {
          const [x, y] = step === 'b writes' ? [b, a] : [a, b];
          await sendOnce(m, r, x, y, { body: i % 6, inmail: step === 'a inmail', subject: step === 'a inmail', attach: false, retry: false });
          break;
        }
        case 'a replies':
        case 'b replies':
          if (t) await replyOnce(m, r, t, step === 'a replies' ? a : b, i);
          break;
        case 'b ignores':
        case 'b accepts':
          if (t) await conversationVerb(m, r, t, b, step === 'b ignores' ? 'ignore' : 'accept', 'other');
          break;
        case 'connect':
          if (!m.connected(a, b) && !m.blockedEither(a, b)) await connectPair(m, r, i % 2 ? b : a, i % 2 ? a : b);
          break;
        case 'part':
          if (m.connected(a, b)) await removeConnection(m, r, i % 2 ? b : a, i % 2 ? a : b);
          break;
        case 'block':
          if (!m.blockedEither(a, b)) await blockPair(m, r, i % 2 ? b : a, i % 2 ? a : b);
          break;
        case 'a buys credits':
          // (a's InMail then reaches b wherever no free channel does: a request b may ignore)
          if (m.purchasesSupported !== false) await new Purchase(a, 2).exec(m, r);
          break;
        case 'a goes premium':
          // (tier reach: a's message to a 2nd or 3rd degree b is a request)
          await new SetTier(a, i % 2 ? 'career' : 'business', 'days400').exec(m, r);
          break;
        case 'unblock':
          if (m.hasBlocked(a, b)) await unblockPair(m, r, a, b);
          else if (m.hasBlocked(b, a)) await unblockPair(m, r, b, a);
          break;
      }
    }
    // what each side's thread now holds for them (DOMAIN.md 5: an ignored request stays deleted for its recipient)
    const t = m.liveThread(a, b);
    if (t) for (const x of [a, b]) await checkMessages(m, r, t, x, 'after the pair run: ');
  }
  toString() {
    return `pairRun(m${this.a} - m${this.b}: ${this.steps.join(', ')})`;
  }
}

// ---------------------------------------------------------------- the arbitrary

const idx = fc.nat({ max: 7 });

export function commandArbitraries(): fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] {
  const c = <T extends fc.AsyncCommand<Model, Real>>(weight: number, arbitrary: fc.Arbitrary<T>) => ({
    weight,
    arbitrary: arbitrary as fc.Arbitrary<fc.AsyncCommand<Model, Real>>,
  });
  const verbs = <T>(...xs: T[]) => fc.constantFrom(...xs);
  return [
    fc.oneof(
      c(2, fc.constant(new SignUp())),
      c(
        6,
        fc.tuple(idx, idx).map(([a, b]) => new Connect(a, b)),
      ),
      c(
        5,
        fc.tuple(idx, idx, fc.constantFrom(...NOTES), fc.boolean(), fc.nat({ max: 3 })).map(([a, b, n, e, rt]) => new Invite(a, b, n, e, rt === 0)),
      ),
      c(
        4,
        fc
          .tuple(idx, verbs<'accept' | 'ignore' | 'withdraw' | 'report'>('accept', 'accept', 'ignore', 'withdraw', 'report'))
          .map(([k, a]) => new RespondInvitation(k, a)),
      ),
      c(
        2,
        fc.tuple(idx, fc.boolean(), idx, idx).map(([k, f, a, b]) => new RemoveConnection(k, f, a, b)),
      ),
      c(
        2,
        fc.tuple(idx, idx).map(([a, b]) => new Block(a, b)),
      ),
      c(
        1,
        fc.tuple(idx, idx, idx).map(([k, a, b]) => new Unblock(k, a, b)),
      ),
      c(
        1,
        fc.tuple(idx, idx, fc.boolean()).map(([a, b, u]) => new Follow(a, b, u)),
      ),
      c(
        3,
        fc.tuple(idx, fc.nat({ max: 19 }), fc.nat({ max: 19 })).map(([a, p, q]) => new ChangeSettings(a, p, q)),
      ),
      c(
        3,
        fc
          .tuple(idx, fc.constantFrom<Tier>('free', 'career', 'business', 'sales_navigator'), fc.constantFrom(...UNTIL))
          .map(([b, t, u]) => new SetTier(b, t, u)),
      ),
      c(
        2,
        fc.tuple(idx, fc.integer({ min: 1, max: 3 })).map(([b, n]) => new Purchase(b, n)),
      ),
      c(
        1,
        fc.tuple(idx, fc.boolean()).map(([b, x]) => new Restrict(b, x)),
      ),
      c(
        10,
        fc
          .tuple(idx, idx, fc.boolean(), fc.nat({ max: 15 }), fc.boolean(), fc.boolean(), fc.nat({ max: 3 }), fc.nat({ max: 3 }))
          .map(([a, b, rel, body, im, s, at, rt]) => new Send(a, b, rel, body, im, s && im, at === 0, rt === 0)),
      ),
      c(
        6,
        fc.tuple(idx, fc.boolean(), fc.nat({ max: 5 })).map(([k, s, b]) => new Reply(k, s, b)),
      ),
      c(
        3,
        fc
          .tuple(
            idx,
            fc.boolean(),
            verbs<'accept' | 'ignore' | 'report'>('accept', 'ignore', 'report'),
            verbs<'spam' | 'harassment' | 'other'>('spam', 'harassment', 'other'),
          )
          .map(([k, s, v, rs]) => new ConversationVerb(k, s, v, rs)),
      ),
      c(
        3,
        fc.tuple(idx, fc.boolean(), verbs<'spam' | 'harassment'>('spam', 'harassment')).map(([k, f, rs]) => new Report(k, f, rs)),
      ),
      c(
        1,
        fc.tuple(idx, verbs<'deactivate' | 'reactivate' | 'close'>('deactivate', 'reactivate', 'close')).map(([a, x]) => new Lifecycle(a, x)),
      ),
      c(
        2,
        idx.map((a) => new CreateGroup(a)),
      ),
      c(
        4,
        fc.tuple(idx, idx, fc.nat({ max: 3 })).map(([a, g, l]) => new GroupMembership(a, g, l === 0)),
      ),
      c(
        2,
        fc.tuple(idx, idx).map(([k, b]) => new FetchAttachment(k, b)),
      ),
      c(
        4,
        fc.tuple(idx, idx, fc.boolean()).map(([a, b, rel]) => new ViewProfile(a, b, rel)),
      ),
      c(
        2,
        fc.tuple(idx, idx).map(([a, b]) => new WhyMessage(a, b)),
      ),
      c(
        1,
        fc.tuple(idx, idx).map(([a, b]) => new Search(a, b)),
      ),
      c(
        1,
        idx.map((a) => new Suggestions(a)),
      ),
      c(
        1,
        fc.tuple(idx, verbs<'received' | 'sent'>('received', 'sent')).map(([a, d]) => new ListInvitations(a, d)),
      ),
      c(
        1,
        idx.map((a) => new ListConnections(a)),
      ),
      c(
        1,
        fc.tuple(idx, verbs<'inbox' | 'requests'>('inbox', 'requests')).map(([a, f]) => new ListConversations(a, f)),
      ),
      c(
        1,
        idx.map((a) => new Me(a)),
      ),
      c(
        2,
        fc.tuple(idx, fc.boolean()).map(([k, side]) => new ListMessages(k, side)),
      ),
      c(
        2,
        fc.tuple(idx, fc.option(fc.nat({ max: 5 }))).map(([a, k]) => new Notifications(a, k)),
      ),
      c(
        3,
        fc.constantFrom(...ADVANCES).map((k) => new Advance(k)),
      ),
      c(
        5,
        fc
          .tuple(
            idx,
            idx,
            idx,
            fc.constantFrom(...INTRO_NOTES),
            fc.constantFrom(0, 0, 1, 1, 1, 2, 2, 3),
            verbs<'none' | 'forward' | 'decline' | 'unlink'>('none', 'none', 'forward', 'forward', 'decline', 'decline', 'unlink'),
          )
          .map(([a, v, t, n, aim, then]) => new AskIntro(a, v, t, n, aim, then)),
      ),
      c(
        5,
        fc
          .tuple(idx, verbs<'forward' | 'decline'>('forward', 'forward', 'decline'), fc.constantFrom(...INTRO_NOTES), fc.nat({ max: 9 }))
          .map(([k, v, n, w]) => new AnswerIntro(k, v, n, w)),
      ),
      c(
        2,
        fc.tuple(idx, verbs<'asked' | 'to_forward'>('asked', 'to_forward')).map(([k, role]) => new ListIntros(k, role)),
      ),
      c(
        6,
        fc
          .tuple(
            verbs<'again' | 'shape' | 'burst'>('again', 'shape', 'burst', 'burst', 'burst'),
            idx,
            idx,
            fc.nat({ max: 8 }),
            fc.constantFrom<IntroNoteKind>('none', 'short', 'spaces'),
            fc.boolean(),
          )
          .map(([kind, a, k, n, note, later]) => new IntroRun(kind, a, k, n, note, later)),
      ),
      c(
        6,
        fc.tuple(idx, idx, fc.array(fc.constantFrom(...PAIR_STEPS), { minLength: 2, maxLength: 8 })).map(([a, b, steps]) => new PairRun(a, b, steps)),
      ),
    ),
  ];
}
