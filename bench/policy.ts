/**
 * bench:policy — issue 17: the policy on the hot path. decideProfile (the primary button and the
 * four action decisions of a Profile), decideMessage and decideInvitation, in process, on realistic
 * fact snapshots built with the policy's own builders, timed by tinybench call by call. The baseline
 * in the same run is a trivial function of the same facts (one decision-sized object built from
 * two fields), so the figures read as ratios on a shared machine.
 * Target: decideProfile under 5 µs a call (mean) in every case.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import {
  DEFAULT_POLICY,
  DEFAULT_SETTINGS,
  decideInvitation,
  decideMessage,
  decideProfile,
  quotaFacts,
  relationshipFacts,
  type Decision,
  type Facts,
  type MemberFacts,
  type QuotaFacts,
  type RelationshipFacts,
  type Settings,
} from '../src/policy/index.js';
import { machine, ROOT, writeSection } from './lib.js';

const SECTION = 'Policy decisions';
/** Per task: run time and warmup time (ms). */
const TIME_MS = Number(process.env.BENCH_POLICY_MS ?? 400);
const TARGET_US = 5;
const log = (...a: unknown[]) => console.log(`[bench:policy ${new Date().toISOString().slice(11, 19)}]`, ...a);

/** A Wednesday in the middle of a month, as the policy tests use. */
const NOW = new Date('2025-03-12T12:00:00.000Z');
const LATER = new Date('2026-01-01T00:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

type MemberOver = Partial<Omit<MemberFacts, 'settings'>> & { settings?: Partial<Settings> };
function member(id: string, handle: string, over: MemberOver = {}): MemberFacts {
  const { settings, ...rest } = over;
  return {
    id,
    handle,
    kind: 'person',
    tier: 'free',
    tierUntil: null,
    status: 'active',
    settings: { ...DEFAULT_SETTINGS, ...settings },
    connectionCount: 180,
    ...rest,
  };
}
function world(o: { viewer?: MemberOver; member?: MemberOver; rel?: Partial<RelationshipFacts>; quotas?: Partial<QuotaFacts> }): Facts {
  return {
    viewer: member('1001', 'val', o.viewer),
    member: member('2002', 'mia', o.member),
    relationship: relationshipFacts(o.rel),
    // a viewer with some history: a few invitations and messages this week and month
    quotas: quotaFacts({
      invitationsLast7Days: 4,
      oldestInvitationLast7DaysAt: ago(3 * 86_400_000),
      notesThisMonth: 1,
      messagesLastMinute: 2,
      oldestMessageLastMinuteAt: ago(20_000),
      nonConnectionConversationsThisMonth: 3,
      ...o.quotas,
    }),
  };
}
/** Three introduction paths, as the profile service offers (INTRODUCTIONS = 3). */
const PATHS = [['ann'], ['bo'], ['cy']];

const CASES: { name: string; facts: Facts }[] = [
  {
    name: '1st degree, accepted conversation',
    facts: world({ rel: { degree: 1, conversation: { state: 'open', startedBy: 'viewer', channel: 'direct', followUps: 0, accepted: true } } }),
  },
  { name: '2nd degree, free viewer (message denied, 3 introductions)', facts: world({ rel: { degree: 2, sharedGroups: 0, introductions: PATHS } }) },
  {
    name: 'out of network, business viewer with credits',
    facts: world({ viewer: { tier: 'business', tierUntil: LATER }, quotas: { inmailBalance: 12, inmailPurchased: 2 } }),
  },
  {
    name: '3rd degree, career viewer (tier reach)',
    facts: world({ viewer: { tier: 'career', tierUntil: LATER }, rel: { degree: 3, introductions: [['ann', 'bo']] } }),
  },
  {
    name: 'denied: member takes messages from connections only',
    facts: world({ member: { settings: { messagesFrom: 'connections' } }, rel: { degree: 2, introductions: PATHS } }),
  },
  { name: 'denied: restricted viewer', facts: world({ viewer: { status: 'restricted' }, rel: { degree: 2, introductions: PATHS } }) },
  { name: 'denied: hidden member (blocked)', facts: world({ rel: { degree: 2, blockedByMember: true } }) },
];

let sink = 0;
const consume = (d: Decision) => {
  sink += d.unlock.length;
};

interface Row {
  case: string;
  fn: string;
  ops: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
}

function run(): { rows: Row[]; baseline: Row } {
  const bench = new Bench({ name: 'policy', time: TIME_MS, warmupTime: Math.min(200, TIME_MS) });
  const base = CASES[1].facts;
  // The baseline: a decision-sized object from two fields of the same facts (what "doing nothing" costs per call here).
  bench.add('baseline|trivial function of the facts', () => {
    consume({ allowed: base.relationship.degree === 1 && base.viewer.status === 'active', reason: 'ok', unlock: [] });
  });
  for (const c of CASES) {
    const f = c.facts;
    bench.add(`${c.name}|decideProfile`, () => {
      const p = decideProfile(f, NOW, DEFAULT_POLICY);
      consume(p.actions.message);
    });
    bench.add(`${c.name}|decideMessage`, () => consume(decideMessage(f, {}, NOW, DEFAULT_POLICY)));
    bench.add(`${c.name}|decideMessage (InMail)`, () => consume(decideMessage(f, { channel: 'inmail' }, NOW, DEFAULT_POLICY)));
    bench.add(`${c.name}|decideInvitation`, () => consume(decideInvitation(f, {}, NOW, DEFAULT_POLICY)));
  }
  bench.runSync();
  const rows: Row[] = [];
  for (const t of bench.tasks) {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}${r.state === 'errored' ? ' ' + r.error.message : ''}`);
    const [cs, fn] = t.name.split('|');
    rows.push({ case: cs, fn, ops: 1000 / r.period, meanUs: r.latency.mean * 1000, p50Us: r.latency.p50 * 1000, p99Us: r.latency.p99 * 1000 });
  }
  return { rows: rows.slice(1), baseline: rows[0] };
}

const fmt = (us: number) => (us >= 10 ? us.toFixed(1) : us.toFixed(2));
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function main() {
  const load0 = os.loadavg();
  log(`${CASES.length} cases × 4 functions, ${TIME_MS} ms each`);
  const { rows, baseline } = run();
  const load1 = os.loadavg();
  if (sink < 0) console.log(sink);
  const profiles = rows.filter((r) => r.fn === 'decideProfile');
  const worst = profiles.reduce((a, b) => (b.meanUs > a.meanUs ? b : a));
  const ok = worst.meanUs < TARGET_US;
  const table = [
    '| case | function | decisions/s | mean µs | p50 µs | p99 µs | × baseline (mean) |',
    '|---|---|---|---|---|---|---|',
    `| baseline | ${baseline.case} | ${int(baseline.ops)} | ${fmt(baseline.meanUs)} | ${fmt(baseline.p50Us)} | ${fmt(baseline.p99Us)} | 1 |`,
    ...rows.map(
      (r) => `| ${r.case} | ${r.fn} | ${int(r.ops)} | ${fmt(r.meanUs)} | ${fmt(r.p50Us)} | ${fmt(r.p99Us)} | ${(r.meanUs / baseline.meanUs).toFixed(1)} |`,
    ),
  ];
  for (const line of table) console.log(line);
  // Anything under "### " in the existing section (the before/after record) is kept as it is.
  let kept = '';
  try {
    const text = readFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), 'utf8');
    const start = text.search(new RegExp(`^## ${SECTION}\\s*$`, 'm'));
    if (start >= 0) {
      const rest = text.slice(start + 1);
      const end = rest.search(/^## /m);
      const body = end >= 0 ? rest.slice(0, end) : rest;
      const sub = body.search(/^### /m);
      if (sub >= 0) kept = body.slice(sub).trim();
    }
  } catch {
    /* no RESULTS.md yet */
  }
  writeSection(
    SECTION,
    [
      `${machine()}. In process, tinybench ${TIME_MS} ms per task (after ${Math.min(200, TIME_MS)} ms of warmup), one call per sample; the default policy, \`now\` fixed. Load average ${load0.map((x) => x.toFixed(1)).join(' ')} at the start, ${load1.map((x) => x.toFixed(1)).join(' ')} at the end (the machine is shared).`,
      '',
      `- decideProfile, worst case mean: **${fmt(worst.meanUs)} µs** (${worst.case}; p50 ${fmt(worst.p50Us)} µs); target < ${TARGET_US} µs a call (${ok ? 'met' : 'MISSED'})`,
      '',
      ...table,
      ...(kept ? ['', kept] : []),
    ].join('\n'),
  );
  log(`decideProfile worst mean ${fmt(worst.meanUs)} µs (${worst.case}): ${ok ? 'met' : 'MISSED'}; wrote the "${SECTION}" section of bench/RESULTS.md`);
}

main();
