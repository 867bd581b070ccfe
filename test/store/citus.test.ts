/**
 * Citus (issue 18): runs only when LIAISON_TEST_CITUS_URL names a coordinator (docs/SCALING.md, "On
 * Citus" in the README); skipped otherwise. The harness's database is a Citus database on every
 * node, migrated: the plan of src/store/distribution.ts is applied.
 *
 * The hot statements (a profile view, a send, the inbox list, a conversation's messages) are
 * recorded as the requests run and EXPLAINed on the cluster: a statement whose plan reaches every
 * shard of a table fails the test unless MULTI_SHARD (src/store/distribution.ts) names it, with the
 * number of such fan-outs it has (a deliberate fan-out; one more fails).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRIBUTION, MULTI_SHARD, applyDistribution } from '../../src/store/distribution.js';
import { citusUrl, harness, signUp, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/messaging.js';

describe.skipIf(!citusUrl)('Citus', () => {
  let h: Harness;
  let client: pg.Client;
  const q = async (text: string, params?: unknown[]) => (await client.query(text, params)).rows as Record<string, unknown>[];

  beforeAll(async () => {
    h = await harness();
    client = new pg.Client({ connectionString: h.config.databaseUrl });
    await client.connect();
  }, 180_000);
  afterAll(async () => {
    await client?.end();
    await h?.close();
  });

  it('places every table of the plan: its column, reference or distributed, one co-location group per plan group', async () => {
    const rows = await q(`select table_name::text as t, citus_table_type as kind, distribution_column as col, colocation_id as g from citus_tables`);
    const byTable = new Map(rows.map((r) => [String(r.t), r]));
    const groups = new Map<string, unknown>();
    for (const p of DISTRIBUTION) {
      const r = byTable.get(p.table);
      expect(r, p.table).toBeDefined();
      expect(r!.kind, p.table).toBe(p.kind);
      if (p.kind === 'distributed') {
        expect(r!.col, p.table).toBe(p.column);
        if (!groups.has(p.group)) groups.set(p.group, r!.g);
        expect(r!.g, `${p.table} co-located with group ${p.group}`).toBe(groups.get(p.group));
      }
    }
    // one Citus co-location group per plan group
    expect(new Set(groups.values()).size).toBe(groups.size);
    // nothing of the public schema is left local to the coordinator
    const local = await q(`select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
                             and not exists (select 1 from pg_dist_partition p where p.logicalrelid = c.oid)`);
    expect(local).toEqual([]);
  });

  it('applying the plan again changes nothing; a table undistributed is placed by the next run', async () => {
    expect((await h.inst.store.migrate()).applied).toEqual([]);
    await q(`select undistribute_table('member_handles')`);
    const again = await applyDistribution(q);
    expect(again.applied.some((s) => s.includes('create_distributed_table') && s.includes('"member_handles"'))).toBe(true);
    expect((await applyDistribution(q)).applied).toEqual([]);
  }, 60_000);

  it('the hot statements reach the shards of their members or conversations (fan-outs only as MULTI_SHARD names them)', async () => {
    const shards = Number((await q(`select count(*) as n from pg_dist_shard where logicalrelid = 'members'::regclass`))[0]!.n);
    expect(shards).toBeGreaterThan(2);
    const a = await signUp(h);
    const b = await signUp(h);
    const c = await signUp(h);
    // a and b connected through the API (an invitation, its notification, the acceptance)
    await connect(h, a, b);
    const sent = await h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'hello' } });
    expect(sent.status).toBe(201);
    const convId = sent.body.conversation.id as string;

    const seen: { request: string; sql: string; params: unknown[] }[] = [];
    let request = '';
    h.inst.store.observe((sql, params) => seen.push({ request, sql, params }));
    try {
      const steps: [string, () => Promise<{ status: number }>][] = [
        ['profile', () => h.call('GET', `/v1/members/${c.handle}`, { token: a.token })],
        ['send', () => h.call('POST', '/v1/messages', { token: a.token, body: { to: b.handle, body: 'again' } })],
        ['inbox', () => h.call('GET', '/v1/conversations?folder=inbox', { token: b.token })],
        ['messages', () => h.call('GET', `/v1/conversations/${convId}/messages`, { token: b.token })],
      ];
      for (const [name, run] of steps) {
        request = name;
        const from = seen.length;
        const r = await run();
        if (r.status >= 500) {
          // name the statement Citus refused: replay the request's statements, each rolled back
          for (const st of seen.slice(from)) {
            await q('begin');
            const err = await q(st.sql, st.params).then(
              () => null,
              (e: Error) => e.message,
            );
            await q('rollback');
            if (err) throw new Error(`${name}: ${err}\n${st.sql}`);
          }
        }
        expect(r.status, name).toBeLessThan(300);
      }
    } finally {
      h.inst.store.observe(null);
    }

    const fanOuts: string[] = [];
    let explained = 0;
    for (const s of seen) {
      if (!/^\s*(select|insert|update|delete|with)\b/i.test(s.sql)) continue;
      const plan = (await q(`explain ${s.sql}`, s.params)).map((r) => String(r['QUERY PLAN'])).join('\n');
      explained++;
      const counts = [...plan.matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1]));
      // a task per shard of the table: the statement (or one of its subplans) reaches every shard
      const all = counts.filter((n) => n >= shards).length;
      if (all === 0) continue;
      // a named statement may reach every shard exactly as often as its entry says, no more
      const named = MULTI_SHARD.find((m) => m.match.test(s.sql));
      if (!named || named.fanOuts !== all) fanOuts.push(`[${s.request}] tasks ${counts.join(',')}: ${s.sql.slice(0, 300)}`);
    }
    expect(explained).toBeGreaterThan(10);
    expect(fanOuts, fanOuts.join('\n\n')).toEqual([]);
  }, 120_000);
});
