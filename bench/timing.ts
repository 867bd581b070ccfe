/**
 * bench:timing — issue 15, finding 5: does timing tell a hidden member from an unknown handle?
 * A compiled `liaison serve` on a scratch PostgreSQL database; a viewer asks, one request at a time
 * in a shuffled order, for the profile of (and sends a message to) an unknown handle and members
 * hidden from it (blocked by the viewer, blocking the viewer, deactivated, closed), BENCH_TIMING_ROUNDS
 * times each (default 400). The medians should match: test/security/timing.test.ts proves both take
 * the same statements and cache lookups; this measures what that means on the clock.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machine, pct, ROOT, scratchDb, startChild, writeSection } from './lib.js';
import { createClient } from '../src/client/index.js';

const ROUNDS = Number(process.env.BENCH_TIMING_ROUNDS ?? 400);
/** The target: every hidden kind's median within this factor of the unknown handle's. */
const TARGET = 1.25;
const log = (...a: unknown[]) => console.log(`[bench:timing ${new Date().toISOString().slice(11, 19)}]`, ...a);

async function api(url: string, method: string, p: string, body?: unknown, token?: string) {
  const r = await fetch(url + p, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: unknown = await r.json().catch(() => null);
  return { status: r.status, json };
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

async function main() {
  const db = await scratchDb('liaison_bench_timing');
  const policyFile = path.join(os.tmpdir(), `liaison-bench-timing-policy-${process.pid}.json`);
  writeFileSync(policyFile, JSON.stringify({ messagesPerMinute: 1_000_000, signupsPerHourPerAddress: 1_000_000 }));
  let server: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    server = await startChild(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), {
      DATABASE_URL: db.url,
      LIAISON_POLICY: policyFile,
      LIAISON_DATA_DIR: path.join(os.tmpdir(), 'liaison-bench-timing'),
    });
    const url = server.url;
    // setup through the typed client; the timed requests below stay raw HTTP (nothing between the clock and the server)
    const as = (token?: string) => createClient({ baseUrl: url, token });
    const account = async (handle: string) => {
      const r = await as().postAccounts({ body: { handle, name: `Name ${handle}`, email: `${handle}@bench.test`, password: 'bench-password-1' } });
      if (!r.token) throw new Error('sign-up answered no token');
      return { token: r.token };
    };
    const viewer = await account('t_viewer');
    // two unknown handles: the second is the control (its ratio is the noise floor of this run)
    const kinds: Record<string, string> = { unknown: 't_nobody_here', 'unknown (control)': 't_no_one_there' };
    for (const k of ['blocked', 'blocking', 'deactivated', 'closed']) {
      const m = await account(`t_${k}`);
      kinds[k] = `t_${k}`;
      if (k === 'blocked') await as(viewer.token).postBlocks({ body: { handle: `t_${k}` } });
      if (k === 'blocking') await as(m.token).postBlocks({ body: { handle: 't_viewer' } });
      if (k === 'deactivated') await as(m.token).postMeDeactivate();
      if (k === 'closed') await as(m.token).postMeClose();
    }
    const routes = {
      'GET /v1/members/:handle': (h: string) => api(url, 'GET', `/v1/members/${h}`, undefined, viewer.token),
      'POST /v1/messages': (h: string) => api(url, 'POST', '/v1/messages', { to: h, body: 'are you there?' }, viewer.token),
    };
    const lines: string[] = [];
    for (const [route, call] of Object.entries(routes)) {
      const lat = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]));
      // warm-up, then rounds of one request per kind, each round in a shuffled order, so drift
      // (other load on the machine) hits every kind alike
      for (let i = 0; i < 20; i++) for (const h of Object.values(kinds)) await call(h);
      const order = Array.from({ length: ROUNDS }, () => shuffle(Object.keys(kinds))).flat();
      log(`${route}: ${order.length} requests…`);
      for (const k of order) {
        const t = performance.now();
        const r = await call(kinds[k]);
        lat.get(k)!.push(performance.now() - t);
        if (r.status !== 404) throw new Error(`${route} ${k}: ${r.status} ${JSON.stringify(r.json)}`);
      }
      const base = [...lat.get('unknown')!].sort((a, b) => a - b);
      for (const [k, xs] of lat) {
        xs.sort((a, b) => a - b);
        const r50 = pct(xs, 50) / pct(base, 50);
        lines.push(`| ${route} | ${k} | ${pct(xs, 50).toFixed(2)} ms | ${pct(xs, 90).toFixed(2)} ms | ${pct(xs, 99).toFixed(2)} ms | ${r50.toFixed(2)}× |`);
      }
      const worst = Math.max(
        ...[...lat.entries()].filter(([k]) => !k.startsWith('unknown')).map(([, xs]) => Math.max(pct(xs, 50) / pct(base, 50), pct(base, 50) / pct(xs, 50))),
      );
      lines.push(`| ${route} | **worst median ratio** | | | | **${worst.toFixed(2)}×** (target ≤ ${TARGET}× ${worst <= TARGET ? 'met' : 'MISSED'}) |`);
      log(`${route}: worst median ratio ${worst.toFixed(2)}×`);
    }
    writeSection(
      'Hidden vs unknown timing',
      [
        `${machine()}. A compiled server on PostgreSQL 127.0.0.1; one viewer, one request at a time, ${ROUNDS} rounds of one request per kind (each round shuffled) after a warm-up; the machine's other load is noise that hits every kind alike. Every answer is the same 404 (issue 15, finding 5); the same statements and cache lookups are proven by test/security/timing.test.ts.`,
        '',
        '| route | handle | p50 | p90 | p99 | p50 / unknown |',
        '|---|---|---|---|---|---|',
        ...lines,
      ].join('\n'),
    );
    log('wrote bench/RESULTS.md (Hidden vs unknown timing)');
  } finally {
    await server?.stop().catch(() => {});
    await db.drop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
