/**
 * A reference model of the network, written from DOMAIN.md and API.md (issue 14).
 *
 * Plain in-memory data: members, tiers and subscriptions, settings, connections, follows, blocks,
 * invitations, conversations (threads) and their state, the InMail credit ledger (tier pool and
 * purchased pool), groups, reports, statuses, attachments. It is independent of src/services and
 * src/store: it computes its own facts (degree by BFS over its own connection set, shared groups,
 * quotas from its own histories, balances from its own ledger) and asks src/policy for the
 * decisions, so the model and the server share the rule functions but not the state.
 *
 * Where DOMAIN.md states a rule that the policy functions of an older server did not (restricted
 * members may accept invitations and follow; Accept only when neither side is at the cap), the
 * model states it itself (see `acceptDecision`, `followDecision`, `primaryAction`): those are rules
 * about who may act, and the model must find a server that breaks them even when its policy does.
 *
 * Indices: members are numbered in sign-up order within a run (m0, m1, ...); every other entity
 * carries the id the server gave it (the model learns ids from the answers).
 */
import * as P from '../../src/policy/index.js';
import type { Decision, Facts, Policy, Settings, Tier } from '../../src/policy/index.js';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export type Status = 'active' | 'deactivated' | 'closed';
export type Pool = 'tier' | 'purchased';
export type Channel = NonNullable<Decision['channel']>;

export interface MMember {
  i: number;
  id: string;
  handle: string;
  name: string;
  headline: string;
  email: string;
  token: string;
  createdAt: Date;
  tier: Tier;
  until: Date | null;
  status: Status;
  restricted: boolean;
  bulkFlagged: boolean;
  /** The last operator unrestrict (clears the report count and the bulk evidence). */
  clearedAt: Date | null;
  settings: Settings;
  /** The InMail ledger, as two pools (DOMAIN.md 1 and 5). */
  tierPool: number;
  purchased: number;
}

export interface MInvitation {
  id: string;
  from: number;
  to: number;
  note: string | null;
  status: 'pending' | 'accepted' | 'ignored' | 'withdrawn' | 'expired';
  createdAt: Date;
  respondedAt: Date | null;
  reportedAt: Date | null;
}

export interface MMessage {
  id: string;
  thread: string;
  from: number;
  to: number;
  at: Date;
  channel: Channel;
  /** DOMAIN.md 5 "the same text": case, all whitespace and invisible characters ignored. */
  textKey: string;
  toNonConnection: boolean;
  inmail: { pool: Pool; refunded: boolean } | null;
  attachments: string[];
}

export interface MThread {
  id: string;
  a: number;
  b: number;
  /** Who started it (sent the first message, or the request now pending). */
  starter: number;
  /** `request` while a request awaits acceptance (API.md `state`), else `open`. */
  state: 'open' | 'request';
  /** DOMAIN.md 5.1. */
  accepted: boolean;
  channel: Channel;
  followUps: number;
  /** Gone for good for both (a block came after it: DOMAIN.md 6), or replaced by a new thread. */
  gone: boolean;
  goneBy?: 'block' | 'replaced';
  /** The recipient ignored (or reported) the pending request: gone for them only. */
  ignoredBy: number | null;
  createdAt: Date;
  /** Started with a non-connection (counts toward nonConnectionConversationsPerMonth). */
  nonConnection: boolean;
  /** Who started it and on which channel (the monthly quotas count new conversations). */
  starterAtCreation: number;
  channelAtCreation: Channel;
  messages: MMessage[];
}

export interface MReport {
  reporter: number;
  reported: number;
  thread: string;
  at: Date;
  counts: boolean;
}

export interface MGroup {
  id: string;
  creator: number;
  members: Set<number>;
  /**
   * The admins (DOMAIN.md 2: the creator is the first; the last admin cannot leave). `null` once the
   * last admin closed their account: who takes over is the server's to choose (the contract is silent).
   */
  admins: Set<number> | null;
}

export interface MAttachment {
  id: string;
  uploader: number;
  uploadedAt: Date;
  threads: Set<string>;
}

/** The kinds of notification the model follows (DOMAIN.md 9; grants are written lazily by the server: not followed). */
export type NoteKind = 'invitation.received' | 'invitation.accepted' | 'request.received' | 'inmail.received' | 'introduction.asked' | 'introduction.forwarded';
/** One event DOMAIN.md 9 says member `to` is notified of, caused by `actor`; `thread`: the conversation it is about. */
export interface MNote {
  to: number;
  kind: NoteKind;
  actor: number;
  at: Date;
  thread: string | null;
}

/** An ask for an introduction (DOMAIN.md 11): A (asker) asks B (via) to introduce them to C (target). */
export interface MIntro {
  id: string;
  asker: number;
  via: number;
  target: number;
  note: string | null;
  forwardNote: string | null;
  /** Declined and expired asks both read `not_forwarded` to everyone (API.md). */
  /** `lapsed`: a connection of its path was removed (it can never be forwarded; reads `not_forwarded`). */
  status: 'asked' | 'forwarded' | 'declined' | 'lapsed';
  createdAt: Date;
  respondedAt: Date | null;
  /** The conversation the forward delivered into (null: forwarded, but nothing reached C). */
  thread: string | null;
}

/** DOMAIN.md 11's fixed numbers: 3 declines within 30 days pause asks from that asker for 90 days. */
export const INTRO_DECLINES_TO_PAUSE = 3;
export const INTRO_DECLINE_WINDOW = 30 * 86_400_000;
export const INTRO_PAUSE = 90 * 86_400_000;

export interface MBlock {
  active: boolean;
  createdAt: Date;
  unblockedAt: Date | null;
}

/** A member as a viewer sees it (API.md `Member`), the fields the model can predict. */
export interface MemberView {
  handle: string;
  name: string;
  headline: string;
  tier: Tier;
  status: 'active' | 'restricted' | 'deactivated' | 'closed';
}

const pair = (a: number, b: number) => (a < b ? `${a},${b}` : `${b},${a}`);
const dir = (a: number, b: number) => `${a}>${b}`;

export function monthStart(t: Date): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
}
export function nextMonthStart(t: Date): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
}

/** DOMAIN.md 5: "the same text" ignores case, all whitespace and invisible characters (format characters, default ignorables). */
export function textKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{Cf}\p{Default_Ignorable_Code_Point}]+/gu, '');
}

export function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Whether the running policy implements DOMAIN.md 5.1 through `ConversationFacts.accepted`. */
function policyKnowsAccepted(policy: Policy): boolean {
  const settings = { ...P.DEFAULT_SETTINGS };
  const member = (id: string) => ({
    id,
    handle: id,
    kind: 'person' as const,
    tier: 'free' as Tier,
    tierUntil: null,
    status: 'active' as const,
    settings,
    connectionCount: 0,
  });
  const conversation = { state: 'open', startedBy: 'viewer', channel: 'inmail', followUps: 0, accepted: false } as const;
  const facts = {
    viewer: member('1'),
    member: member('2'),
    relationship: P.relationshipFacts({ conversation: conversation as never }),
    quotas: P.quotaFacts(),
  } as Facts;
  return !P.decideMessage(facts, {}, new Date(), policy).allowed;
}

export class Model {
  now: Date;
  members: MMember[] = [];
  connections = new Set<string>();
  follows = new Set<string>();
  blocks = new Map<string, MBlock>();
  invitations: MInvitation[] = [];
  threads: MThread[] = [];
  /**
   * DOMAIN.md 5: an ignored request is deleted for its recipient. Per thread id and side: where the
   * last request that side received began (its first message's id), and the spans of message ids
   * gone for it (from that first message to the one that brought the thread back to it).
   */
  requestFrom = new Map<string, number>();
  deletedSpans = new Map<string, [number, number][]>();
  reports: MReport[] = [];
  groups: MGroup[] = [];
  attachments: MAttachment[] = [];
  intros: MIntro[] = [];
  /** The notifications' events (DOMAIN.md 9), those a block or an ignore took away removed. */
  notes: MNote[] = [];
  /** Feature switches found on the server (older servers lack a route). */
  purchasesSupported: boolean | undefined = undefined;
  readonly acceptedInPolicy: boolean;

  constructor(
    readonly policy: Policy,
    now: Date,
  ) {
    this.now = new Date(now);
    this.acceptedInPolicy = policyKnowsAccepted(policy);
  }

  get reportMinAccountAgeDays(): number {
    return (this.policy as unknown as Record<string, number>).reportMinAccountAgeDays ?? 0;
  }

  // ------------------------------------------------------------------ basic relations

  m(i: number): MMember {
    return this.members[i]!;
  }
  isActive(i: number): boolean {
    return this.m(i).status === 'active';
  }
  connected(a: number, b: number): boolean {
    return this.connections.has(pair(a, b));
  }
  connectionsOf(a: number): number[] {
    const out: number[] = [];
    for (const x of this.members) if (x.i !== a && this.connected(a, x.i)) out.push(x.i);
    return out;
  }
  connectionCount(a: number): number {
    return this.connectionsOf(a).length;
  }
  following(a: number, b: number): boolean {
    return this.follows.has(dir(a, b));
  }
  hasBlocked(a: number, b: number): boolean {
    return this.blocks.get(dir(a, b))?.active === true;
  }
  blockedEither(a: number, b: number): boolean {
    return this.hasBlocked(a, b) || this.hasBlocked(b, a);
  }
  /** Member x exists for viewer v (DOMAIN.md 4.2): active (restricted included) and no block either way. */
  exists(v: number, x: number): boolean {
    return this.isActive(x) && (v === x || !this.blockedEither(v, x));
  }

  /**
   * Degree (DOMAIN.md 2) over members that exist for the viewer: a deactivated or closed member, or
   * one blocked either way with the viewer, transmits no degree (docs/graph.md "Visibility rules").
   */
  degree(v: number, x: number): 1 | 2 | 3 | null {
    if (v === x || !this.exists(v, x)) return null;
    if (this.connected(v, x)) return 1;
    const vs = this.connectionsOf(v).filter((y) => y !== x && this.exists(v, y));
    const xs = this.connectionsOf(x).filter((y) => y !== v && this.exists(v, y));
    if (vs.some((y) => xs.includes(y))) return 2;
    for (const a of vs) for (const b of xs) if (a !== b && this.connected(a, b)) return 3;
    return null;
  }
  mutuals(v: number, x: number): number[] {
    if (v === x || !this.exists(v, x)) return [];
    return this.connectionsOf(v).filter((y) => y !== x && this.exists(v, y) && this.connected(x, y));
  }
  /** DOMAIN.md 7: does x's profileVisibility include viewer v? */
  withinVisibility(v: number, x: number): boolean {
    if (v === x) return true;
    const vis = this.m(x).settings.profileVisibility;
    if (vis === 'everyone') return true;
    const d = this.degree(v, x);
    return vis === 'network' ? d !== null : d === 1;
  }
  /** Introduction paths (DOMAIN.md 11, 7): every step a member whose visibility includes v. */
  introductions(v: number, x: number): string[][] {
    const d = this.degree(v, x);
    const ok = (y: number) => this.exists(v, y) && this.withinVisibility(v, y);
    const out: number[][] = [];
    if (d === 2) for (const y of this.mutuals(v, x)) if (ok(y)) out.push([y]);
    if (d === 3) {
      for (const a of this.connectionsOf(v).filter((y) => y !== x && ok(y)))
        for (const b of this.connectionsOf(x).filter((y) => y !== v && ok(y))) if (a !== b && this.connected(a, b)) out.push([a, b]);
    }
    // a way in only where an ask to the path's first step about its next member would not be refused
    // for the asker's own asks (open ask, pause, the month's number: DOMAIN.md 11)
    // and none to a 2nd-degree member while v's own request to them waits for an answer
    if (d === 2 && this.ownRequestWaits(v, x)) return [];
    return out.filter((p) => this.askable(v, p[0]!, p[1] ?? x)).map((p) => p.map((y) => this.m(y).handle));
  }
  /** A's own request to C, not accepted, between non-connections (one C ignored looks so to A). */
  ownRequestWaits(a: number, c: number): boolean {
    const f = this.conversationFacts(a, c);
    return f !== null && f.state === 'request' && !f.accepted && f.startedBy === 'viewer' && !this.connected(a, c);
  }
  /** Would A's own asks let them ask `via` about `target` now (askDecision's last three rules)? */
  askable(a: number, via: number, target: number): boolean {
    if (this.intros.some((i) => i.asker === a && i.target === target && this.introOpen(i))) return false;
    if (this.introPausedUntil(a, via) !== null) return false;
    const month = monthStart(this.now).getTime();
    return this.intros.filter((i) => i.asker === a && i.createdAt.getTime() >= month).length < this.policy.introductionsPerMonth;
  }
  sharedGroups(a: number, b: number): number {
    return this.groups.filter((g) => g.members.has(a) && g.members.has(b)).length;
  }

  // ------------------------------------------------------------------ tiers and credits

  effectiveTier(i: number, at: Date = this.now): Tier {
    const m = this.m(i);
    if (m.tier === 'free') return 'free';
    if (m.until !== null && at.getTime() >= m.until.getTime()) return 'free';
    return m.tier;
  }
  premium(i: number, at: Date = this.now): boolean {
    return this.effectiveTier(i, at) !== 'free';
  }
  monthly(t: Tier): number {
    return this.policy.inmailMonthlyCredits[t];
  }
  /** One grant of tier credits (DOMAIN.md 5): capped at 3 months' worth of the current tier; a balance above it is kept. */
  private grant(i: number, tier: Tier): void {
    const m = this.m(i);
    const cap = this.monthly(tier) * this.policy.inmailRolloverMonths;
    m.tierPool = Math.max(m.tierPool, Math.min(m.tierPool + this.monthly(tier), cap));
  }
  balance(i: number): number {
    return this.m(i).tierPool + this.m(i).purchased;
  }

  // ------------------------------------------------------------------ time

  /** Moves time to `to`, granting tier credits on every 1st of a month (00:00 UTC) passed while a tier is paid. */
  advanceTo(to: Date): void {
    for (let t = nextMonthStart(this.now); t.getTime() <= to.getTime(); t = nextMonthStart(t)) {
      // Every member with a paid tier at that instant, closed ones included: the ledger follows the
      // subscription (an operator still sees the balance, e.g. in a purchase's answer).
      for (const m of this.members) {
        const tier = this.effectiveTier(m.i, t);
        if (tier !== 'free') this.grant(m.i, tier);
      }
    }
    this.now = new Date(to);
  }

  // ------------------------------------------------------------------ invitations

  expired(inv: MInvitation): boolean {
    return inv.createdAt.getTime() <= this.now.getTime() - this.policy.invitationExpiryDays * DAY;
  }
  /** The open invitation of a pair (pending or ignored, not expired), if any. */
  openInvitation(a: number, b: number): MInvitation | undefined {
    return this.invitations.find(
      (x) => ((x.from === a && x.to === b) || (x.from === b && x.to === a)) && (x.status === 'pending' || x.status === 'ignored') && !this.expired(x),
    );
  }
  /** The invitation as viewer v sees it: an ignored invitation is gone for its recipient and pending for its sender. */
  invitationSeenBy(v: number, x: number): { inv: MInvitation; direction: 'sent' | 'received' } | null {
    const inv = this.openInvitation(v, x);
    if (!inv) return null;
    if (inv.from === v) return { inv, direction: 'sent' };
    return inv.status === 'pending' ? { inv, direction: 'received' } : null;
  }
  lastWithdrawn(v: number, x: number): Date | null {
    let t: Date | null = null;
    for (const inv of this.invitations)
      if (inv.from === v && inv.to === x && inv.status === 'withdrawn' && inv.respondedAt && (!t || inv.respondedAt > t)) t = inv.respondedAt;
    return t;
  }

  // ------------------------------------------------------------------ threads

  liveThread(a: number, b: number): MThread | undefined {
    return this.threads.find((t) => !t.gone && ((t.a === a && t.b === b) || (t.a === b && t.b === a)));
  }
  /** A thread by id: the live one when a replaced thread kept its id. */
  thread(id: string): MThread | undefined {
    return this.threads.find((t) => t.id === id && !t.gone) ?? this.threads.find((t) => t.id === id);
  }
  other(t: MThread, v: number): number {
    return t.a === v ? t.b : t.a;
  }
  /** The thread as viewer v may see it: not gone, not a request v ignored. */
  threadSeenBy(v: number, x: number): MThread | undefined {
    const t = this.liveThread(v, x);
    return t && t.ignoredBy !== v ? t : undefined;
  }
  /** API.md `folder` of a thread for one side: the recipient of a pending request has it in requests. */
  folderOf(t: MThread, v: number): 'inbox' | 'requests' {
    return t.state === 'request' && t.starter !== v ? 'requests' : 'inbox';
  }

  // ------------------------------------------------------------------ facts

  memberFacts(i: number) {
    const m = this.m(i);
    return {
      id: m.id,
      handle: m.handle,
      kind: 'person' as const,
      tier: m.tier,
      tierUntil: m.until,
      status: (m.status === 'active' && m.restricted ? 'restricted' : m.status) as 'active' | 'restricted' | 'deactivated' | 'closed',
      settings: { ...m.settings },
      connectionCount: this.connectionCount(i),
      bulkFlagged: m.bulkFlagged,
    };
  }

  quotaFacts(v: number) {
    const now = this.now.getTime();
    const sent7 = this.invitations.filter((x) => x.from === v && x.createdAt.getTime() > now - 7 * DAY);
    const month = monthStart(this.now).getTime();
    const msgs = this.threads.flatMap((t) => t.messages).filter((x) => x.from === v && x.at.getTime() > now - MINUTE);
    const started = this.threads.filter((t) => t.starterAtCreation === v && t.createdAt.getTime() >= month);
    const oldest = (ds: Date[]) => (ds.length ? new Date(Math.min(...ds.map((d) => d.getTime()))) : null);
    return {
      invitationsLast7Days: sent7.length,
      oldestInvitationLast7DaysAt: oldest(sent7.map((x) => x.createdAt)),
      notesThisMonth: this.invitations.filter((x) => x.from === v && x.note !== null && x.createdAt.getTime() >= month).length,
      idkReportsLast90Days: this.invitations.filter((x) => x.from === v && x.reportedAt && x.reportedAt.getTime() > now - 90 * DAY).length,
      messagesLastMinute: msgs.length,
      oldestMessageLastMinuteAt: oldest(msgs.map((x) => x.at)),
      nonConnectionConversationsThisMonth: started.filter((t) => t.nonConnection).length,
      groupConversationsThisMonth: started.filter((t) => t.channelAtCreation === 'group').length,
      inmailBalance: this.balance(v),
      inmailPurchased: this.m(v).purchased,
    };
  }

  /** The conversation facts of v towards x (src/policy/facts.ts `ConversationFacts`). */
  conversationFacts(v: number, x: number) {
    const t = this.threadSeenBy(v, x);
    if (!t) return null;
    const startedBy = t.starter === v ? ('viewer' as const) : ('member' as const);
    const base = { state: t.state, startedBy, channel: t.channel, followUps: t.followUps, accepted: t.accepted };
    if (this.acceptedInPolicy) return base;
    // An older policy reads acceptance from `state` ('open'): a thread that is not accepted and not
    // a pending request is shown to it as the reply it is (the member started it), or as no thread.
    if (t.accepted || t.state === 'request') return { ...base, state: t.accepted ? ('open' as const) : t.state };
    return startedBy === 'member' ? base : null;
  }

  facts(v: number, x: number | null): Facts {
    const viewer = this.memberFacts(v);
    if (x === null) return { viewer, member: null, relationship: P.relationshipFacts(), quotas: this.quotaFacts(v) } as Facts;
    if (x === v) return { viewer, member: viewer, relationship: P.relationshipFacts(), quotas: this.quotaFacts(v) } as Facts;
    const seen = this.invitationSeenBy(v, x);
    const blockedByViewer = this.hasBlocked(v, x);
    const blockedByMember = this.hasBlocked(x, v);
    const rel = P.relationshipFacts({
      degree: this.degree(v, x),
      invitation: seen ? { direction: seen.direction } : null,
      blockedByViewer,
      blockedByMember,
      sharedGroups: this.sharedGroups(v, x),
      conversation: this.conversationFacts(v, x) as never,
      lastWithdrawnAt: this.lastWithdrawn(v, x),
      lastUnblockedAt: this.blocks.get(dir(v, x))?.unblockedAt ?? null,
      introductions: this.exists(v, x) ? this.introductions(v, x) : [],
    });
    return { viewer, member: this.memberFacts(x), relationship: rel, quotas: this.quotaFacts(v) } as Facts;
  }

  // ------------------------------------------------------------------ decisions

  messageDecision(v: number, x: number | null, attempt: { channel?: 'inmail'; body?: string; subject?: string | null } = {}): Decision {
    return P.decideMessage(this.facts(v, x), attempt, this.now, this.policy);
  }
  invitationDecision(v: number, x: number | null, attempt: { note?: string | null; emailMatches?: boolean }): Decision {
    return P.decideInvitation(this.facts(v, x), attempt, this.now, this.policy);
  }
  /** The facts with a restricted viewer shown as active: for what DOMAIN.md 1 lets a restricted member do. */
  private factsAsActive(v: number, x: number): Facts {
    const f = this.facts(v, x);
    if (f.viewer.status === 'restricted') f.viewer = { ...f.viewer, status: 'active' };
    return f;
  }
  /** DOMAIN.md 1, 4.4: a restricted member may accept; the caps apply. */
  acceptDecision(v: number, inviter: number): Decision {
    const f = this.factsAsActive(v, inviter);
    const fn = (P as unknown as Record<string, unknown>).decideAcceptInvitation as ((f: Facts, now: Date, p: Policy) => Decision) | undefined;
    return fn ? fn(f, this.now, this.policy) : P.decideInvitation(f, {}, this.now, this.policy);
  }
  /** DOMAIN.md 1: a restricted member may follow. */
  followDecision(v: number, x: number): Decision {
    return P.decideFollow(this.factsAsActive(v, x), this.now, this.policy);
  }
  blockDecision(v: number, x: number): Decision {
    return P.decideBlock(this.factsAsActive(v, x), this.now, this.policy);
  }
  /** The profile's `actions.connect`: accepting when the member invited the viewer, else an invitation without a note. */
  connectDecision(v: number, x: number): Decision {
    if (this.invitationSeenBy(v, x)?.direction === 'received') return this.acceptDecision(v, x);
    return this.invitationDecision(v, x, {});
  }

  /** DOMAIN.md 4, written out here (the model's own reading, not the policy's table). */
  primaryAction(v: number, x: number): 'none' | 'connect' | 'message' | 'follow' | 'pending' | 'accept' {
    if (v === x || !this.exists(v, x)) return 'none';
    const cap = this.policy.connectionCap;
    const vAtCap = this.connectionCount(v) >= cap;
    const xAtCap = this.connectionCount(x) >= cap;
    if (this.connected(v, x)) return 'message';
    const inv = this.invitationSeenBy(v, x);
    if (inv?.direction === 'sent') return 'pending';
    if (inv?.direction === 'received' && !vAtCap && !xAtCap) return 'accept';
    const pa = this.m(x).settings.primaryAction;
    if (pa === 'message') return 'message';
    if (pa === 'follow') return 'follow';
    if (xAtCap) return 'message';
    if (vAtCap) return 'follow';
    return 'connect';
  }

  /** API.md `Member` as viewer v sees x: name alone outside x's profileVisibility; restricted shown only to x itself. */
  view(v: number, x: number): MemberView {
    const m = this.m(x);
    return {
      handle: m.handle,
      name: m.name,
      headline: this.withinVisibility(v, x) ? m.headline : '',
      tier: this.effectiveTier(x),
      status: m.status !== 'active' ? m.status : v === x && m.restricted ? 'restricted' : 'active',
    };
  }

  // ------------------------------------------------------------------ mutations

  addMember(m: Omit<MMember, 'i' | 'tier' | 'until' | 'status' | 'restricted' | 'bulkFlagged' | 'clearedAt' | 'settings' | 'tierPool' | 'purchased'>): MMember {
    const full: MMember = {
      ...m,
      i: this.members.length,
      tier: 'free',
      until: null,
      status: 'active',
      restricted: false,
      bulkFlagged: false,
      clearedAt: null,
      settings: { ...P.DEFAULT_SETTINGS },
      tierPool: 0,
      purchased: 0,
    };
    this.members.push(full);
    return full;
  }

  connect(a: number, b: number): void {
    this.connections.add(pair(a, b));
    this.follows.add(dir(a, b));
    this.follows.add(dir(b, a));
  }

  /** Removing a connection keeps no follow (DOMAIN.md 2) and ends acceptance (DOMAIN.md 5.1). */
  disconnect(a: number, b: number): void {
    this.unlink(a, b);
    this.follows.delete(dir(a, b));
    this.follows.delete(dir(b, a));
    const t = this.liveThread(a, b);
    if (t) t.accepted = false;
  }

  /**
   * DOMAIN.md 9: member `to` is notified of an event by `actor`, unless they are not active, the
   * actor is hidden from them (blocked either way, not active: "nothing a hidden member did"), it is
   * their own, or they turned the kind off.
   */
  notify(to: number, kind: NoteKind, actor: number, thread: string | null = null): void {
    if (to === actor || !this.isActive(to) || !this.exists(to, actor)) return;
    if ((this.m(to).settings.notifications as Record<string, boolean> | undefined)?.[kind] === false) return;
    this.notes.push({ to, kind, actor, at: new Date(this.now), thread });
  }

  /**
   * An invitation ignored, reported or withdrawn: the recipient's note of it goes (DOMAIN.md 9:
   * nothing notifies about an ignored request). Notes group by UTC day: the sender's notes of that
   * day and after go (an earlier invitation of the pair on the same day shares the group).
   */
  dropInvitationNote(inv: MInvitation): void {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    this.notes = this.notes.filter((n) => !(n.to === inv.to && n.actor === inv.from && n.kind === 'invitation.received' && day(n.at) >= day(inv.createdAt)));
  }

  /** v ignores (or reports) a request they received: gone for them, and so is what notified them of it (DOMAIN.md 9). */
  ignoreRequest(t: MThread, v: number): void {
    t.ignoredBy = v;
    this.notes = this.notes.filter((n) => !(n.to === v && n.thread === t.id));
  }

  /** Blocking (DOMAIN.md 6): connection, follows, open invitations, every thread of the pair gone. */
  block(a: number, b: number): void {
    // what each side was notified of by the other is gone for good (an unblock restores nothing)
    this.notes = this.notes.filter((n) => !((n.to === a && n.actor === b) || (n.to === b && n.actor === a)));
    this.blocks.set(dir(a, b), { active: true, createdAt: new Date(this.now), unblockedAt: null });
    this.unlink(a, b);
    this.follows.delete(dir(a, b));
    this.follows.delete(dir(b, a));
    for (const inv of this.invitations)
      if (((inv.from === a && inv.to === b) || (inv.from === b && inv.to === a)) && (inv.status === 'pending' || inv.status === 'ignored')) {
        // the blocker's own invitation is taken back (the withdrawal cooldown applies after an unblock)
        inv.status = inv.from === a ? 'withdrawn' : 'expired';
        inv.respondedAt = new Date(this.now);
      }
    for (const t of this.threads)
      if (!t.gone && ((t.a === a && t.b === b) || (t.a === b && t.b === a))) {
        t.gone = true;
        t.goneBy = 'block';
      }
  }

  /**
   * The connection of a and b removed: an open ask through one of them with the other as asker or
   * target can never be forwarded (DOMAIN.md 11) and lapses at once.
   */
  unlink(a: number, b: number): void {
    if (!this.connections.delete(pair(a, b))) return;
    for (const x of this.intros)
      if (x.status === 'asked' && ((x.via === a && (x.asker === b || x.target === b)) || (x.via === b && (x.asker === a || x.target === a))))
        x.status = 'lapsed';
  }

  unblock(a: number, b: number): void {
    const bl = this.blocks.get(dir(a, b))!;
    bl.active = false;
    bl.unblockedAt = new Date(this.now);
  }

  setSubscription(i: number, tier: Tier, until: Date | null): void {
    const m = this.m(i);
    const was = this.effectiveTier(i);
    m.tier = tier;
    m.until = until;
    const next = this.effectiveTier(i);
    // DOMAIN.md 5: a grant when a paid tier starts, or on an upgrade to a larger monthly amount;
    // a renewal or a downgrade grants nothing.
    if (next !== 'free' && this.monthly(next) > 0 && (was === 'free' || this.monthly(next) > this.monthly(was))) this.grant(i, next);
  }

  /** Closing (DOMAIN.md 1): connections, follows, pending invitations and group memberships go at once. */
  close(i: number): void {
    this.m(i).status = 'closed';
    for (const x of this.connectionsOf(i)) this.unlink(i, x);
    for (const f of [...this.follows]) {
      const [a, b] = f.split('>').map(Number);
      if (a === i || b === i) this.follows.delete(f);
    }
    for (const inv of this.invitations)
      if ((inv.from === i || inv.to === i) && (inv.status === 'pending' || inv.status === 'ignored')) {
        inv.status = 'expired';
        inv.respondedAt = new Date(this.now);
      }
    for (const g of this.groups) {
      g.members.delete(i);
      g.admins?.delete(i);
      if (g.admins && g.admins.size === 0 && g.members.size > 0) g.admins = null;
    }
  }

  /** Spends one credit for an InMail: tier credits first while the tier lasts, else purchased. */
  spendPool(i: number): Pool {
    const m = this.m(i);
    if (this.premium(i) && m.tierPool >= 1) return 'tier';
    return 'purchased';
  }

  /**
   * An allowed message from s to r (channel and delivery as decided). Returns the thread it went
   * into (new or continued) once the caller gives the ids the server assigned.
   */
  applyMessage(
    s: number,
    r: number,
    d: { channel: Channel; delivery: 'inbox' | 'request'; inmail: boolean },
    ids: { message: string; thread: string },
    body: string,
    attachments: string[],
    opts: { introduction?: boolean; via?: number } = {},
  ): MThread {
    const connectedNow = this.connected(s, r);
    let t = this.threadSeenBy(s, r);
    /** sides that had ignored the thread and get it back with this message */
    const back: number[] = [];
    /** whether a request to r begins with this message */
    let begun = false;
    if (!t) {
      // A thread the sender ignored (a request from r) no longer exists for the sender: it is replaced.
      const old = this.liveThread(s, r);
      if (old?.ignoredBy === s) back.push(s);
      if (old) {
        old.gone = true;
        old.goneBy = 'replaced';
      }
      t = {
        id: ids.thread,
        a: s,
        b: r,
        starter: s,
        starterAtCreation: s,
        channelAtCreation: d.channel,
        state: d.delivery === 'request' ? 'request' : 'open',
        accepted: false,
        channel: d.channel,
        followUps: 0,
        gone: false,
        ignoredBy: null,
        createdAt: new Date(this.now),
        nonConnection: !connectedNow,
        messages: [],
      };
      this.threads.push(t);
      begun = t.state === 'request';
    } else if (opts.introduction && d.delivery === 'request') {
      // A forwarded introduction is a new request from the asker in the pair's thread, whoever
      // started it and whatever it was (DOMAIN.md 11: it "reaches C as a message request from A").
      t.starter = s;
      t.state = 'request';
      t.accepted = false;
      t.followUps = 0;
      t.channel = d.channel;
      if (t.ignoredBy === r) back.push(r);
      t.ignoredBy = null;
      begun = true;
    } else if (t.starter !== s) {
      // The recipient writes back: while the two are not connected a reply accepts it (DOMAIN.md
      // 5.1). A thread begun between connections carries no channel of its own: once they are not
      // connected, writing into it takes a channel like a first message, and the thread is theirs.
      if (!connectedNow && (t.accepted || d.channel === 'direct')) t.accepted = true;
      else if (!connectedNow) {
        t.starter = s;
        t.state = d.delivery === 'request' ? 'request' : 'open';
        t.followUps = 0;
        t.channel = d.channel;
        if (t.ignoredBy === r) back.push(r);
        t.ignoredBy = null;
        begun = t.state === 'request';
      }
    } else if (!t.accepted && !connectedNow) {
      // The starter writes again into a thread not accepted: the channel that applies now, in the
      // same thread (DOMAIN.md 5.1). On a pending request that is a follow-up; otherwise a new
      // arrival: a request sends the thread back to the recipient's requests, an inbox channel to
      // their inbox, and a request they had ignored arrives again (the contract is silent on it;
      // the model takes "goes back to the recipient's requests" for them too).
      if (d.delivery === 'request' && t.state === 'request') {
        t.followUps += 1;
        t.channel = d.channel;
      } else {
        t.state = d.delivery === 'request' ? 'request' : 'open';
        t.followUps = 0;
        t.channel = d.channel;
        if (t.ignoredBy === r) back.push(r);
        t.ignoredBy = null;
        begun = t.state === 'request';
      }
    } else if (t.state === 'request' && connectedNow) {
      // The two connected while a request was pending: it opens, in the recipient's inbox even if
      // they had ignored it (as a new request from the sender brings it back).
      t.state = 'open';
      if (t.ignoredBy === r) back.push(r);
      t.ignoredBy = null;
    }
    if (connectedNow && t.state === 'request') t.state = 'open';
    // Written into between connections, a thread not accepted keeps no channel of its own (DOMAIN.md 5.1).
    if (connectedNow && !t.accepted && d.channel === 'direct') t.channel = 'direct';
    // A reply refunds every InMail of the thread the other side sent in the last 90 days (to its pool).
    for (const msg of t.messages) {
      if (msg.from === r && msg.inmail && !msg.inmail.refunded && this.now.getTime() - msg.at.getTime() <= this.policy.inmailRefundDays * DAY) {
        msg.inmail.refunded = true;
        if (msg.inmail.pool === 'tier') this.m(r).tierPool += 1;
        else this.m(r).purchased += 1;
      }
    }
    let inmail: MMessage['inmail'] = null;
    if (d.inmail) {
      const pool = this.spendPool(s);
      if (pool === 'tier') this.m(s).tierPool -= 1;
      else this.m(s).purchased -= 1;
      inmail = { pool, refunded: false };
    }
    const msg: MMessage = {
      id: ids.message,
      thread: t.id,
      from: s,
      to: r,
      at: new Date(this.now),
      channel: d.channel,
      textKey: textKey(body),
      toNonConnection: !connectedNow,
      inmail,
      attachments,
    };
    t.messages.push(msg);
    // What a side that had ignored a request gets back: not the request, nor what followed it unseen.
    for (const v of back) {
      const key = `${t.id}:${v}`;
      this.deletedSpans.set(key, [...(this.deletedSpans.get(key) ?? []), [this.requestFrom.get(key) ?? 0, Number(msg.id)]]);
    }
    if (begun) this.requestFrom.set(`${t.id}:${r}`, Number(msg.id));
    for (const a of attachments) this.attachments.find((x) => x.id === a)?.threads.add(t.id);
    // Bulk (DOMAIN.md 5): the same text to `bulkRecipientsThreshold` distinct non-connections in 24 hours.
    const sender = this.m(s);
    // An introduction was chosen by the introducer: it flags no one (its text still counts later).
    if (msg.toNonConnection && !sender.bulkFlagged && !opts.introduction && this.policy.bulkRecipientsThreshold > 0) {
      const since = this.now.getTime() - DAY;
      const cleared = sender.clearedAt?.getTime() ?? -Infinity;
      const rcpts = new Set(
        this.threads
          .flatMap((x) => x.messages)
          .filter((x) => x.from === s && x.textKey === msg.textKey && x.toNonConnection && x.at.getTime() > since && x.at.getTime() > cleared)
          .map((x) => x.to),
      );
      if (rcpts.size >= this.policy.bulkRecipientsThreshold) sender.bulkFlagged = true;
    }
    // DOMAIN.md 9: a forwarded introduction (from the introducer), an InMail, a message request; not
    // a message into a request the recipient ignored (it stays out of their sight).
    if (t.ignoredBy !== r) {
      const kind = opts.introduction
        ? 'introduction.forwarded'
        : d.channel === 'inmail'
          ? 'inmail.received'
          : d.delivery === 'request'
            ? 'request.received'
            : null;
      if (kind) this.notify(r, kind, opts.introduction && opts.via !== undefined ? opts.via : s, t.id);
    }
    return t;
  }

  /** A report (DOMAIN.md 5): counts only for spam/harassment, when the reported wrote first, from an old enough account. */
  applyReport(reporter: number, t: MThread, reason: 'spam' | 'harassment' | 'other'): MReport {
    const reported = this.other(t, reporter);
    const wrote = t.messages.some((x) => x.from === reported && x.to === reporter && x.at.getTime() < this.now.getTime());
    const age = this.now.getTime() - this.m(reporter).createdAt.getTime();
    const counts = (reason === 'spam' || reason === 'harassment') && wrote && age >= this.reportMinAccountAgeDays * DAY;
    const rep: MReport = { reporter, reported, thread: t.id, at: new Date(this.now), counts };
    this.reports.push(rep);
    if (t.state === 'request' && t.starter !== reporter) this.ignoreRequest(t, reporter);
    const target = this.m(reported);
    if (counts && !target.restricted) {
      const since = this.now.getTime() - 30 * DAY;
      const cleared = target.clearedAt?.getTime() ?? -Infinity;
      const distinct = new Set(
        this.reports.filter((x) => x.reported === reported && x.counts && x.at.getTime() > since && x.at.getTime() > cleared).map((x) => x.reporter),
      );
      if (distinct.size >= this.policy.reportsToRestrict) target.restricted = true;
    }
    return rep;
  }

  // ------------------------------------------------------------------ introductions (DOMAIN.md 11)
  //
  // Stated by the model itself from DOMAIN.md 11 and API.md (not taken from src/policy/introduction.ts),
  // so that a server whose policy breaks one of them is caught. The order of the denials is the
  // policy's (the contract names the rules, not their order).

  introExpired(x: MIntro): boolean {
    return x.status === 'asked' && this.now.getTime() >= x.createdAt.getTime() + this.policy.introductionExpiryDays * DAY;
  }
  /** Still waiting for B: asked, not expired. */
  introOpen(x: MIntro): boolean {
    return x.status === 'asked' && !this.introExpired(x);
  }
  /** API.md `status`: declined and expired both read `not_forwarded`. */
  introStatus(x: MIntro): 'asked' | 'forwarded' | 'not_forwarded' {
    return x.status === 'forwarded' ? 'forwarded' : this.introOpen(x) ? 'asked' : 'not_forwarded';
  }
  /** An ask exists for v while the other two members exist for v (a block, a hidden or closed member makes it vanish). */
  introSeenBy(v: number, x: MIntro): boolean {
    return [x.asker, x.via, x.target].filter((y) => y !== v).every((y) => this.exists(v, y));
  }
  /** Until when B takes no asks from A: 90 days after a 3rd decline within 30 days (null: not paused). */
  introPausedUntil(a: number, via: number): Date | null {
    const ds = this.intros
      .filter((x) => x.asker === a && x.via === via && x.status === 'declined' && x.respondedAt)
      .map((x) => x.respondedAt!.getTime())
      .sort((p, q) => p - q);
    let until: number | null = null;
    for (let i = INTRO_DECLINES_TO_PAUSE - 1; i < ds.length; i++) {
      if (ds[i]! - ds[i - INTRO_DECLINES_TO_PAUSE + 1]! > INTRO_DECLINE_WINDOW) continue;
      const end = ds[i]! + INTRO_PAUSE;
      if (end > this.now.getTime() && (until === null || end > until)) until = end;
    }
    return until === null ? null : new Date(until);
  }

  /** May A ask B (`via`, null: unknown) to introduce them to C? DOMAIN.md 11, the policy's order. */
  askDecision(a: number, via: number, c: number, note: string | null): Decision {
    const deny = (reason: string, unlock: Decision['unlock'] = []) => ({ allowed: false, reason, unlock }) as unknown as Decision;
    const m = this.m(a);
    if (m.restricted) return deny('sender_restricted');
    if (m.status !== 'active') return deny('sender_inactive');
    if (c === a) return deny('self');
    if (!this.exists(a, c)) return deny('recipient_unavailable');
    if (this.connected(a, c)) return deny('already_connected');
    if (m.bulkFlagged) return deny('bulk_flagged', this.invitationDecision(a, c, {}).allowed ? [{ kind: 'connect' }] : []);
    // Other mutual connections A could ask instead (LENIENT in number: see check.ts `unlocks`), only
    // those A's own asks would let them ask now (`askable`: no open ask about C, no pause, asks left).
    const paths = this.mutuals(a, c)
      .filter((y) => y !== via && !this.ownRequestWaits(a, c) && this.askable(a, y, c))
      .map((y) => ({ kind: 'introduction' as const, via: [this.m(y).handle] }));
    const viaOk = via !== a && this.exists(a, via) && this.connected(a, via) && this.connected(via, c);
    if (this.degree(a, c) !== 2 || !viaOk) return deny('not_in_reach', paths);
    if (this.m(c).settings.messagesFrom === 'connections') return deny('recipient_settings');
    if (note !== null && [...note].length > this.policy.noteMaxChars) return deny('note_too_long');
    // an introduction would bring A's waiting request back past the one follow-up (DOMAIN.md 5)
    if (this.ownRequestWaits(a, c)) return deny('awaiting_response');
    if (this.intros.some((x) => x.asker === a && x.target === c && this.introOpen(x))) return deny('awaiting_response');
    const paused = this.introPausedUntil(a, via);
    if (paused) return deny('introductions_paused', [{ kind: 'wait', until: paused.toISOString() }, ...paths]);
    const month = monthStart(this.now).getTime();
    if (this.intros.filter((x) => x.asker === a && x.createdAt.getTime() >= month).length >= this.policy.introductionsPerMonth)
      return deny('monthly_limit', [{ kind: 'wait', until: nextMonthStart(this.now).toISOString() }]);
    return { allowed: true, reason: 'ok', unlock: [] } as unknown as Decision;
  }

  /**
   * How a forward reaches C (A to C): 'silent' when nothing may reach C and B must not learn why
   * (A restricted, bulk-flagged or at their monthly number of new conversations with non-connections;
   * A and C blocked either way, C gone: the forward reads as any other); a denial
   * for C's "who may message me"; else channel `introduction`, a request unless the two are
   * connected or their conversation is accepted (tier reach plays no part).
   */
  introDelivery(a: number, c: number): { kind: 'silent' } | { kind: 'denied'; reason: string } | { kind: 'ok'; delivery: 'inbox' | 'request' } {
    if (this.m(a).restricted || !this.exists(a, c)) return { kind: 'silent' };
    const from = this.m(c).settings.messagesFrom;
    const d = this.degree(a, c);
    if ((from === 'connections' && d !== 1) || (from === 'shared_connections' && d !== 1 && d !== 2)) return { kind: 'denied', reason: 'recipient_settings' };
    // A wrote to C while the ask was open and waits for an answer: only A may know; nothing reaches C
    if (this.ownRequestWaits(a, c)) return { kind: 'silent' };
    // A new conversation with a non-connection, which A's bulk flag or monthly number stops: silent too (only A may know).
    if (d !== 1 && this.conversationFacts(a, c) === null) {
      if (this.m(a).bulkFlagged) return { kind: 'silent' };
      if (this.quotaFacts(a).nonConnectionConversationsThisMonth >= this.policy.nonConnectionConversationsPerMonth) return { kind: 'silent' };
    }
    return { kind: 'ok', delivery: d === 1 || this.conversationFacts(a, c)?.accepted === true ? 'inbox' : 'request' };
  }

  // ------------------------------------------------------------------ lists

  /** Whether attachment `a` may be fetched by member v: true, false, or 'either' where the contract leaves room. */
  /** Whether message `msg` is gone for side `v` (a request v ignored, and what followed it unseen: DOMAIN.md 5). */
  deletedFor(v: number, msg: MMessage): boolean {
    const id = Number(msg.id);
    return (this.deletedSpans.get(`${msg.thread}:${v}`) ?? []).some(([from, to]) => id >= from && id < to);
  }

  /** The messages of thread `id` as side `v` lists them, newest first (a replaced thread's messages are the same conversation's). */
  messagesSeenBy(v: number, id: string): MMessage[] {
    return this.threads
      .filter((t) => t.id === id)
      .flatMap((t) => t.messages)
      .filter((msg) => !this.deletedFor(v, msg))
      .sort((x, y) => Number(y.id) - Number(x.id));
  }

  attachmentVisible(v: number, a: MAttachment): boolean | 'either' {
    // LENIENT: an upload no message carries may be removed a day after it was made (a choice of
    // the server, README "attachments"; the contract is silent on uploads never sent).
    if (a.uploader === v) return a.threads.size === 0 && this.now.getTime() - a.uploadedAt.getTime() >= DAY ? 'either' : true;
    let either = false;
    for (const id of a.threads) {
      const t = this.thread(id)!;
      if (t.gone || (t.a !== v && t.b !== v)) continue;
      const o = this.other(t, v);
      if (this.blockedEither(v, o)) continue;
      // LENIENT: a request v ignored, or a thread whose other side is deactivated or closed: the
      // contract does not say whether its attachments stay readable (DOMAIN.md 6 is about blocks).
      if (t.ignoredBy === v || !this.isActive(o)) {
        either = true;
        continue;
      }
      // only through a message of it that is not gone for v
      if (this.threads.filter((x) => x.id === id).some((x) => x.messages.some((msg) => msg.attachments.includes(a.id) && !this.deletedFor(v, msg))))
        return true;
    }
    return either ? 'either' : false;
  }
}
