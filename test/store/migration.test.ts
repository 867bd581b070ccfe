/**
 * Migrations carry existing data over (issue 14): a database at the schema before the rule book
 * (migrations 0000-0001) with rows written by the old rules is migrated to the current schema, and
 * the data says what DOMAIN.md says: acceptance from the messages, threads a block came after ended,
 * closed members detached, InMail expiries folded into their grants with every balance kept.
 * Runs on PGlite, and on a scratch database of the PostgreSQL server when DATABASE_URL is set.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/store/db.js';
import { packageRoot } from '../../src/util/paths.js';
import { scratchDatabase, storageKind } from '../helpers/harness.js';

const BEFORE = '0001_graph_and_messaging';

/** A copy of drizzle/ whose journal stops at `lastTag`. */
function migrationsUpTo(lastTag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'liaison-mig-'));
  cpSync(join(packageRoot(), 'drizzle'), dir, { recursive: true });
  const journalPath = join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const end = journal.entries.findIndex((e) => e.tag === lastTag);
  journal.entries = journal.entries.slice(0, end + 1);
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

describe(`migrations carry the old rules' data over (${storageKind})`, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** A database of the storage under test, and a migrator to a migrations folder. */
  async function openDb(): Promise<{ db: any; migrate: (folder: string) => Promise<void> }> {
    let db: any;
    let migrate: (folder: string) => Promise<void>;
    if (storageKind === 'postgres') {
      const scratch = await scratchDatabase();
      const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
      cleanups.push(async () => {
        await pool.end();
        await scratch.drop();
      });
      db = drizzleNodePg(pool);
      migrate = (folder) => migrateNodePg(db, { migrationsFolder: folder });
    } else {
      const client = await PGlite.create('memory://', { extensions: { pg_trgm, fuzzystrmatch } });
      cleanups.push(() => client.close());
      db = drizzlePglite(client);
      migrate = (folder) => migratePglite(db, { migrationsFolder: folder });
    }
    return { db, migrate };
  }

  it('acceptance, ended threads, closed members and the ledger', async () => {
    const old = migrationsUpTo(BEFORE);
    cleanups.push(() => rmSync(old, { recursive: true, force: true }));
    const { db, migrate } = await openDb();
    await migrate(old);
    const q = async (s: ReturnType<typeof sql>) => rowsOf(await db.execute(s));
    const id = async (handle: string, status = 'active') =>
      Number(
        (
          await q(
            sql`insert into members (handle, kind, name, email, status) values (${handle}, 'person', ${handle}, ${handle + '@x.test'}, ${status}) returning id`,
          )
        )[0]!.id,
      );
    const [ann, bob, cid, dan, eve] = [await id('ann'), await id('bob'), await id('cid', 'closed'), await id('dan'), await id('eve')];
    const conn = (x: number, y: number) => q(sql`insert into connections (a, b) values (${Math.min(x, y)}, ${Math.max(x, y)})`);
    await conn(ann, bob);
    await conn(ann, cid);
    await q(sql`insert into follows (follower, followee) values (${ann}, ${cid}), (${cid}, ${ann})`);
    await q(sql`insert into invitations (from_id, to_id, status) values (${cid}, ${eve}, 'pending')`);
    const openInvitation = Number((await q(sql`insert into invitations (from_id, to_id, status) values (${eve}, ${ann}, 'pending') returning id`))[0]!.id);
    const conv = async (starter: number, recipient: number, at: string) =>
      Number(
        (
          await q(
            sql`insert into conversations (starter_id, recipient_id, state, channel, created_at) values (${starter}, ${recipient}, 'open', 'tier_reach', ${at}::timestamptz) returning id`,
          )
        )[0]!.id,
      );
    const msg = (c: number, from: number, to: number) =>
      q(sql`insert into messages (conversation_id, sender_id, recipient_id, body, channel, body_hash) values (${c}, ${from}, ${to}, 'hi', 'direct', 'h')`);
    const replied = await conv(ann, bob, '2026-01-01T00:00:00Z');
    await msg(replied, ann, bob);
    await msg(replied, bob, ann);
    const unanswered = await conv(bob, eve, '2026-01-01T00:00:00Z');
    await msg(unanswered, bob, eve);
    const blockedLater = await conv(ann, dan, '2026-01-01T00:00:00Z');
    await msg(blockedLater, ann, dan);
    await msg(blockedLater, dan, ann);
    await q(sql`insert into blocks (blocker, blocked, created_at, unblocked_at) values (${dan}, ${ann}, '2026-02-01T00:00:00Z', '2026-02-03T00:00:00Z')`);
    await q(sql`insert into subscriptions (member_id, tier, until, started_at) values (${eve}, 'career', null, '2026-01-10T00:00:00Z')`);
    await q(sql`insert into inmail_ledger (member_id, kind, amount, period, created_at) values
      (${eve}, 'grant', 5, '2026-01:career', '2026-01-10T00:00:00Z'),
      (${eve}, 'grant', 5, '2026-02:career', '2026-02-01T00:00:00Z'),
      (${eve}, 'grant', 5, '2026-03:career', '2026-03-01T00:00:00Z'),
      (${eve}, 'grant', 5, '2026-04:career', '2026-04-01T00:00:00Z'),
      (${eve}, 'expire', -5, '2026-04:career', '2026-04-01T00:00:00Z')`);

    await migrate(join(packageRoot(), 'drizzle'));

    const convs = new Map((await q(sql`select id, accepted, ended_at from conversations`)).map((r) => [Number(r.id), r]));
    expect(convs.get(replied)).toMatchObject({ accepted: true, ended_at: null });
    expect(convs.get(unanswered)).toMatchObject({ accepted: false, ended_at: null });
    expect(convs.get(blockedLater)!.ended_at).not.toBeNull();
    expect(await q(sql`select a, b from connections order by a`)).toEqual([{ a: Math.min(ann, bob), b: Math.max(ann, bob) }]);
    expect(await q(sql`select * from follows`)).toEqual([]);
    expect((await q(sql`select status from invitations order by id`)).map((r) => r.status)).toEqual(['expired', 'pending']);
    // 0009 (Citus): the unique facts in their lookup tables, ids bigint, the list's tie-break on each side
    expect(await q(sql`select handle, member_id from member_handles order by member_id`)).toEqual(
      [ann, bob, cid, dan, eve].map((m, i) => ({ handle: ['ann', 'bob', 'cid', 'dan', 'eve'][i], member_id: m })),
    );
    expect((await q(sql`select email from member_emails order by member_id`)).map((r) => r.email)).toEqual([
      'ann@x.test',
      'bob@x.test',
      'cid@x.test',
      'dan@x.test',
      'eve@x.test',
    ]);
    expect(await q(sql`select lo, hi, invitation_id from invitation_open_pairs`)).toEqual([
      { lo: Math.min(ann, eve), hi: Math.max(ann, eve), invitation_id: openInvitation },
    ]);
    const live = await q(sql`select lo, hi, conversation_id from conversation_live_pairs order by conversation_id`);
    expect(live).toEqual([
      { lo: Math.min(ann, bob), hi: Math.max(ann, bob), conversation_id: replied },
      { lo: Math.min(bob, eve), hi: Math.max(bob, eve), conversation_id: unanswered },
    ]);
    const [idType] = await q(sql`select data_type from information_schema.columns where table_name = 'members' and column_name = 'id'`);
    expect(idType!.data_type).toBe('bigint');
    const ledger = await q(sql`select kind, pool, sum(amount)::int as s from inmail_ledger group by kind, pool`);
    expect(ledger).toEqual([{ kind: 'grant', pool: 'tier', s: 15 }]);
    const [sub] = await q(sql`select changed_at from subscriptions where member_id = ${eve}`);
    expect(new Date(String(sub!.changed_at)).toISOString()).toBe('2026-04-01T00:00:00.000Z');
  });
  it('0010: the actors of every group carry its recipient; the search words stay, written by the services from then on', async () => {
    const old = migrationsUpTo('0009_citus_distribution');
    cleanups.push(() => rmSync(old, { recursive: true, force: true }));
    const { db, migrate } = await openDb();
    await migrate(old);
    const q = async (s: ReturnType<typeof sql>) => rowsOf(await db.execute(s));
    const member = async (handle: string) =>
      Number(
        (
          await q(sql`insert into members (handle, kind, name, email) values (${handle}, 'person', ${'Name ' + handle}, ${handle + '@x.test'}) returning id`)
        )[0]!.id,
      );
    const [ann, bob, cid] = [await member('ann'), await member('bob'), await member('cid')];
    const group = async (to: number) =>
      Number(
        (
          await q(
            sql`insert into notifications (member_id, kind, group_key, count, seq) values (${to}, 'invitation.received', 'day:1', 2, nextval('notifications_seq')) returning id`,
          )
        )[0]!.id,
      );
    const [forAnn, forBob] = [await group(ann), await group(bob)];
    await q(
      sql`insert into notification_actors (notification_id, actor_id, seq) values (${forAnn}, ${bob}, 1), (${forAnn}, ${cid}, 1), (${forBob}, ${ann}, 1)`,
    );
    const words = await q(sql`select member_id, field, word from search_words order by 1, 2, 3`);
    expect(words.length).toBeGreaterThan(0);

    await migrate(join(packageRoot(), 'drizzle'));

    expect(await q(sql`select member_id, notification_id, actor_id from notification_actors order by 2, 3`)).toEqual([
      { member_id: ann, notification_id: forAnn, actor_id: bob },
      { member_id: ann, notification_id: forAnn, actor_id: cid },
      { member_id: bob, notification_id: forBob, actor_id: ann },
    ]);
    expect(await q(sql`select tgname from pg_trigger where tgrelid = 'members'::regclass and not tgisinternal`)).toEqual([]);
    expect(await q(sql`select member_id, field, word from search_words order by 1, 2, 3`)).toEqual(words);
  });

  /** A store migrated up to `upTo`, with members ann, bob, cid and dan (their ids in `people`). */
  async function olderStore(upTo: string) {
    const old = migrationsUpTo(upTo);
    cleanups.push(() => rmSync(old, { recursive: true, force: true }));
    const { db, migrate } = await openDb();
    await migrate(old);
    const q = async (s: ReturnType<typeof sql>) => rowsOf(await db.execute(s));
    const member = async (handle: string) =>
      Number((await q(sql`insert into members (handle, kind, name) values (${handle}, 'person', ${handle}) returning id`))[0]!.id);
    const people = [await member('ann'), await member('bob'), await member('cid'), await member('dan')] as const;
    return { db, q, migrate, people };
  }

  it('0011: the counter rows start from what members did within each window, at the database clock', async () => {
    const { q, migrate, people } = await olderStore('0010_citus_colocated_writes');
    const [ann, bob, cid, dan] = people;
    const invite = (from: number, to: number, age: string, note: string | null, reportedAge: string | null) =>
      q(sql`insert into invitations (from_id, to_id, status, note, created_at, reported_at)
        values (${from}, ${to}, 'ignored', ${note}, now() - ${age}::interval, now() - ${reportedAge}::interval)`);
    await invite(ann, bob, '1 hour', 'hi', '10 minutes'); // counts: a week's invitation, a note this month (unless the month just began), a report
    await invite(ann, cid, '8 days', null, '100 days'); // neither: outside both windows
    await invite(bob, cid, '2 days', null, null);
    const conv = async (starter: number, to: number, channel: string) =>
      Number(
        (await q(sql`insert into conversations (starter_id, recipient_id, state, channel) values (${starter}, ${to}, 'open', ${channel}) returning id`))[0]!.id,
      );
    const c1 = await conv(cid, dan, 'group');
    await conv(dan, ann, 'direct');
    await q(sql`insert into messages (conversation_id, sender_id, recipient_id, body, channel, body_hash) values (${c1}, ${cid}, ${dan}, 'hi', 'group', 'h')`);

    await migrate(join(packageRoot(), 'drizzle'));
    const rows = await q(sql`select member_id, cardinality(invitations_at) as inv, notes, cardinality(reported_at) as idk, cardinality(messages_at) as msg,
      non_connection, "group", notes_month = date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as this_month from member_counters order by member_id`);
    const monthBegan = Boolean((await q(sql`select now() - interval '1 hour' < date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as b`))[0]!.b);
    expect(
      rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'boolean' ? v : Number(v)]))),
    ).toEqual([
      { member_id: ann, inv: 1, notes: monthBegan ? 0 : 1, idk: 1, msg: 0, non_connection: 0, group: 0, this_month: true },
      { member_id: bob, inv: 1, notes: 0, idk: 0, msg: 0, non_connection: 0, group: 0, this_month: true },
      { member_id: cid, inv: 0, notes: 0, idk: 0, msg: 1, non_connection: 1, group: 1, this_month: true },
    ]);
  });

  it('0014: a side whose history began at history_from keeps those messages gone; each side knows where its last request began', async () => {
    const { q, migrate, people } = await olderStore('0013_side_history_from');
    const [ann, bob, cid, dan] = people;
    const thread = async (to: number) =>
      Number(
        (await q(sql`insert into conversations (starter_id, recipient_id, state, channel) values (${ann}, ${to}, 'request', 'tier_reach') returning id`))[0]!
          .id,
      );
    const [withBob, withCid, withDan] = [await thread(bob), await thread(cid), await thread(dan)];
    const say = async (conv: number, from: number, to: number, body: string, nonConnection = true, channel = 'tier_reach') =>
      Number(
        (
          await q(
            sql`insert into messages (conversation_id, sender_id, recipient_id, body, channel, body_hash, to_non_connection)
                values (${conv}, ${from}, ${to}, ${body}, ${channel}, 'h', ${nonConnection}) returning id`,
          )
        )[0]!.id,
      );
    // bob wrote, then ignored a later request of ann's
    await say(withBob, ann, bob, 'one');
    const bobs = await say(withBob, bob, ann, 'two');
    const request = await say(withBob, ann, bob, 'three');
    await say(withBob, ann, bob, 'four');
    // cid never wrote: ignored a request, came back when the two connected (history_from), then
    // ignored a later request (found by a reviewer: the first version took the first message of all)
    await say(withCid, ann, cid, 'cold');
    const back = await say(withCid, ann, cid, 'connected', false);
    await say(withCid, ann, cid, 'still connected', false);
    const later = await say(withCid, ann, cid, 'cold again');
    // dan read an InMail in his inbox, then ignored a later request (found by a reviewer: the InMail was taken for the request)
    await say(withDan, ann, dan, 'an inmail', true, 'inmail');
    const danRequest = await say(withDan, ann, dan, 'a request');
    await q(sql`insert into conversation_members (conversation_id, member_id, folder, ignored) values
      (${withDan}, ${ann}, 'inbox', false), (${withDan}, ${dan}, 'requests', true)`);
    await q(sql`insert into conversation_members (conversation_id, member_id, folder, ignored, history_from) values
      (${withBob}, ${ann}, 'inbox', false, ${bobs}), (${withBob}, ${bob}, 'requests', true, null),
      (${withCid}, ${ann}, 'inbox', false, null), (${withCid}, ${cid}, 'requests', true, ${back})`);

    await migrate(join(packageRoot(), 'drizzle'));
    const rows = await q(sql`select conversation_id, member_id, request_from, deleted_spans::text as spans from conversation_members order by 1, 2`);
    expect(
      rows.map((r: Record<string, unknown>) => [
        Number(r.conversation_id),
        Number(r.member_id),
        r.request_from === null ? null : Number(r.request_from),
        r.spans,
      ]),
    ).toEqual([
      [withBob, ann, null, `{(,${bobs})}`], // nothing came to ann after her last message
      [withBob, bob, request, '{}'],
      [withCid, ann, null, '{}'],
      [withCid, cid, later, `{(,${back})}`],
      [withDan, ann, null, '{}'],
      [withDan, dan, danRequest, '{}'],
    ]);
    expect(await q(sql`select 1 from information_schema.columns where table_name = 'conversation_members' and column_name = 'history_from'`)).toEqual([]);
  });
});
