/**
 * npm run bench:export — memory of GET /v1/me/export's document for a member with 100,000 messages
 * against the same member's export with 1,000 messages, in the same run (PGlite, in-process): the
 * export streams in batches, so the peak heap should not grow with the history.
 * Writes the section "Export memory" of bench/RESULTS.md.
 */
import { sql } from 'drizzle-orm';
import { resolvePolicy } from '../src/policy/index.js';
import type { Deps } from '../src/services/context.js';
import { exportDocument } from '../src/services/export.js';
import { loadGraph } from '../src/services/graph.js';
import { memberByHandle } from '../src/services/members.js';
import { openStore } from '../src/store/db.js';
import { claimMemberKeysOf } from '../src/store/lookups.js';
import { systemClock } from '../src/util/clock.js';
import { machine, ratio, rowsOf, writeSection, type DbInt } from './lib.js';

const BIG = Number(process.env.BENCH_EXPORT_MESSAGES ?? 100_000);
const SMALL = 1_000;

async function main() {
  const store = await openStore({ dataDir: 'memory://' });
  await store.migrate();
  const db = store.db;
  const mk = async (h: string) =>
    Number(
      rowsOf<{ id: DbInt }>(
        await db.execute(sql`insert into members (handle, kind, name, email) values (${h}, 'person', ${h}, ${h + '@x.test'}) returning id`),
      )[0].id,
    );
  const [big, small, other] = [await mk('bigexport'), await mk('smallexport'), await mk('peer')];
  // their handle and e-mail lookup rows, through which the export finds its member
  await claimMemberKeysOf(db, [big, small, other]);
  const fill = async (owner: number, n: number) => {
    const conv = Number(
      rowsOf<{ id: DbInt }>(
        await db.execute(
          sql`insert into conversations (starter_id, recipient_id, state, channel, accepted) values (${owner}, ${other}, 'open', 'direct', true) returning id`,
        ),
      )[0].id,
    );
    await db.execute(
      sql`insert into conversation_members (conversation_id, member_id, folder) values (${conv}, ${owner}, 'inbox'), (${conv}, ${other}, 'inbox')`,
    );
    await db.execute(sql`insert into messages (conversation_id, sender_id, recipient_id, body, channel, body_hash)
      select ${conv}::bigint, case when i % 2 = 0 then ${owner}::int else ${other}::int end, case when i % 2 = 0 then ${other}::int else ${owner}::int end,
             'message number ' || i || ' with a body of some realistic length, about one line of text', 'direct', 'h'
        from generate_series(1, ${n}::int) i`);
  };
  await fill(big, BIG);
  await fill(small, SMALL);
  const { graph } = await loadGraph(db);
  const deps: Deps = { store, policy: resolvePolicy({}), clock: systemClock, graph };

  async function measure(handle: string) {
    const m = (await memberByHandle(db, handle))!;
    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let bytes = 0;
    let pieces = 0;
    const t0 = performance.now();
    for await (const piece of exportDocument(deps, db, m, new Date())) {
      bytes += Buffer.byteLength(piece);
      // retained memory: collect first, so garbage not yet collected does not count
      if (++pieces % 20 === 0) {
        (globalThis as { gc?: () => void }).gc?.();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
    }
    return { ms: performance.now() - t0, bytes, peakMiB: peak / 2 ** 20 };
  }
  const s = await measure('smallexport');
  const b = await measure('bigexport');
  await store.close();
  const growth = b.peakMiB / Math.max(s.peakMiB, 0.5);
  const body = [
    `Machine: ${machine()}. Date: ${new Date().toISOString()}. Storage: PGlite in memory, in-process (the route streams the same generator).`,
    '',
    '| export of | document | time | peak retained heap above start (sampled after a GC every 20 pieces) |',
    '|---|---|---|---|',
    `| ${SMALL.toLocaleString('en')} messages (baseline) | ${(s.bytes / 2 ** 20).toFixed(1)} MiB | ${(s.ms / 1000).toFixed(1)} s | ${s.peakMiB.toFixed(1)} MiB |`,
    `| ${BIG.toLocaleString('en')} messages | ${(b.bytes / 2 ** 20).toFixed(1)} MiB | ${(b.ms / 1000).toFixed(1)} s | ${b.peakMiB.toFixed(1)} MiB |`,
    '',
    `Peak retained heap at ${BIG.toLocaleString('en')} messages is ${ratio(growth)} the baseline's (baseline floored at 0.5 MiB; the document is ${ratio(b.bytes / s.bytes)} larger): ` +
      `memory stays flat, target ≤ 3× — ${growth <= 3 ? 'met' : 'MISSED'}.`,
  ].join('\n');
  writeSection('Export memory', body);
  console.log(body);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
