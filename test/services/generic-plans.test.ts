/**
 * Issue 17: the statements of a send settle on a generic plan once their tables have a network's
 * size. A named statement's first five runs are planned for their values; then PostgreSQL keeps the
 * generic plan only when its estimated cost is no higher than those plans' (plan_cache_mode auto).
 * A send's read of its members took their ids as one array parameter, whose generic estimate (ten
 * rows) made every run of the whole 26-subquery statement planned again: about 1 ms of PostgreSQL's
 * CPU a send at 20,000 members (bench/RESULTS.md "Message sends"), unseen with the bench's few
 * members. Checked here through pg_prepared_statements, on the one connection that ran the sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/store/sql.js';
import { selectRows } from '../../src/store/db.js';
import { seed } from '../../src/cli/seed.js';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect } from '../helpers/messaging.js';

let h: Harness;
beforeAll(async () => {
  // one connection: the statements the sends prepared are the ones this test reads
  h = await harness({ config: { db: { poolSize: 1, statementTimeoutMs: undefined, connectTimeoutMs: undefined, preparedStatements: undefined } } });
  await seed(h.inst.store, { members: 5_000, avgDegree: 8, seed: 5, prefix: 'gp' });
  await selectRows(h.inst.store.db, sql`analyze`);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

interface Prepared {
  statement: string;
  generic: number;
  custom: number;
}

async function prepared(): Promise<Prepared[]> {
  const rows = await selectRows<{ statement: string; generic_plans: unknown; custom_plans: unknown }>(
    h.inst.store.db,
    sql`select statement, generic_plans, custom_plans from pg_prepared_statements where from_sql = false`,
  );
  return rows.map((r) => ({ statement: r.statement, generic: Number(r.generic_plans), custom: Number(r.custom_plans) }));
}

describe(`a send's statements on a generic plan at a network's size (${storageKind})`, () => {
  it('the read under the locks and the writes: planned for their values a few times, then generic', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    for (let i = 0; i < 12; i++) {
      const [from, to] = i % 2 ? [b, a] : [a, b];
      expect((await h.call('POST', '/v1/messages', { token: from.token, body: { to: to.handle, body: `hello ${i}` } })).status).toBe(201);
    }
    const all = await prepared();
    const read = all.filter((p) => /pg_advisory_xact_lock|nextval\(pg_get_serial_sequence\('messages'/.test(p.statement));
    const writes = all.filter((p) => /^with w0 as \(insert into "messages"/.test(p.statement));
    expect(read.length, all.map((p) => p.statement.slice(0, 80)).join('\n')).toBeGreaterThan(0);
    expect(writes.length).toBeGreaterThan(0);
    for (const p of [...read, ...writes]) {
      const runs = p.generic + p.custom;
      expect(runs).toBeGreaterThan(5);
      // the first five runs are custom plans by PostgreSQL's rule; after them, generic ones
      expect(p.custom, `${p.custom} custom plans in ${runs} runs of ${p.statement.slice(0, 200)}`).toBeLessThanOrEqual(5);
    }
  });

  it('every statement the connection prepared and ran more than five times: generic after the fifth', async () => {
    // a mix beside the sends: profile views (the read model warm and not), invitations, message requests, inbox,
    // requests and thread reads, notifications, the member's own page
    const people = await Promise.all(Array.from({ length: 8 }, () => signUp(h)));
    for (const [i, p] of people.entries()) {
      const other = people[(i + 1) % people.length];
      await h.call('GET', `/v1/members/gp${i + 1}`, { token: p.token });
      await h.call('GET', `/v1/members/${other.handle}`, { token: p.token });
      await h.call('POST', '/v1/invitations', { token: p.token, body: { to: `gp${i + 20}` } });
      await h.call('GET', '/v1/conversations', { token: p.token });
      await h.call('GET', '/v1/notifications', { token: p.token });
      await h.call('POST', '/v1/messages', { token: p.token, body: { to: other.handle, body: `hi ${i}` } });
    }
    for (const p of people) {
      const inbox = await h.call('GET', '/v1/conversations', { token: p.token });
      for (const c of (inbox.body.items ?? []) as { id: string }[]) await h.call('GET', `/v1/conversations/${c.id}/messages`, { token: p.token });
      await h.call('GET', '/v1/conversations?folder=requests', { token: p.token });
      await h.call('GET', '/v1/me', { token: p.token });
    }
    // left planned for their values: a sign-up's and a profile edit's search words (src/store/search-words.ts),
    // one array of a batch's members each, on writes whose password hashing or words cost far more than a plan
    const searchWords = /^insert into search_(words|vocabulary) /;
    const often = (await prepared()).filter((p) => p.generic + p.custom > 5 && !searchWords.test(p.statement));
    expect(often.length).toBeGreaterThan(2);
    const replanned = often.filter((p) => p.custom > 5).map((p) => `${p.custom} custom of ${p.custom + p.generic}: ${p.statement.slice(0, 160)}`);
    expect(replanned, replanned.join('\n')).toEqual([]);
  });
});
