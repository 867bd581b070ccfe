/**
 * bench:send-floor — what PostgreSQL itself spends on a send's rows, apart from the server: the
 * rows a direct message writes (the message, the conversation's last message, both sides, the
 * sender's counter row, the outbox event) under the send's locks, replayed from this process
 * with hand-written statements on the real schema, one send a transaction (as the server writes
 * them, in one statement of WITH clauses), eight sends a transaction each with its own statements, and
 * eight sends a transaction with shared statements. Beside
 * them the raw single-row INSERT transaction of bench:messages. PostgreSQL's CPU (every process of
 * it, from /proc) a send is the figure: on a machine of two cores it bounds what any server could
 * reach, whatever it costs itself. Not part of `npm run bench` (issue 17's design question, not a
 * target); env BENCH_SECONDS (6), BENCH_FLOOR_PAIRS (128), BENCH_FLOOR_BATCH (8).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createClient } from '../src/client/index.js';
import { connectedPairs, machine, postgresCpuSeconds, RAW_TABLE, rawInsertTransaction, ROOT, scratchDb, startChild, writeSection } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const PAIRS = Number(process.env.BENCH_FLOOR_PAIRS ?? 128);
const BATCH = Number(process.env.BENCH_FLOOR_BATCH ?? 8);
const WORKERS = 16;
const POOL = 10;
const log = (...a: unknown[]) => console.log(`[bench:send-floor ${new Date().toISOString().slice(11, 19)}]`, ...a);

interface Send {
  conversation: number;
  sender: number;
  recipient: number;
}

/** The outbox payload of a message.created event, of the size the server writes. */
const payload = (m: Send, body: string) =>
  JSON.stringify({
    conversationId: String(m.conversation),
    message: {
      id: '0',
      conversationId: String(m.conversation),
      sender: { handle: 'ba1', name: 'A 1', headline: '', degree: 1, avatarUrl: null },
      body,
      subject: null,
      channel: 'direct',
      createdAt: new Date().toISOString(),
      attachments: [],
    },
  });

let serial = 0;

/** The pair's lock and the sender's row, as the server takes them. */
const LOCK_TEXT =
  'select pg_advisory_xact_lock(least($1::int, $2::int), greatest($1::int, $2::int)), (select id from members where id = $1 for no key update) as locked';

/** A send's rows in one statement of WITH clauses, as src/services/uow.ts flushes them. */
const ONE_TEXT = `with m as (insert into messages (conversation_id, sender_id, body, channel, body_hash, to_non_connection, recipient_id, created_at)
                      values ($1, $2, $3, 'direct', md5($3), false, $4, now()) returning id),
      w2 as (update conversations set last_message_at = now(), last_message_id = (select id from m) where id = $1),
      w3 as (update conversation_members set last_activity_at = now(), last_message_id = (select id from m), hidden = false, unread = 0,
               last_read_message_id = (select id from m) where conversation_id = $1 and member_id = $2),
      w4 as (update conversation_members set last_activity_at = now(), last_message_id = (select id from m), hidden = false, unread = unread + 1
               where conversation_id = $1 and member_id = $4),
      w5 as (insert into member_counters as c (member_id, messages_at) values ($2, array[now()]) on conflict (member_id)
               do update set messages_at = array(select t from unnest(c.messages_at) t where t > now() - interval '1 minute') || now()),
      e as (insert into events (type, member_ids, payload, created_at) values ('message.created', array[$2::bigint, $4::bigint], $5::jsonb, now()) returning id)
      select (select id from e)`;

/** One send a transaction: the pair's lock and the sender's row, then its rows in one statement (as src/services/uow.ts flushes them). */
async function one(c: pg.PoolClient, m: Send): Promise<number> {
  const body = `hello ${serial++}`;
  await c.query('begin');
  await c.query({
    name: 'floor_lock',
    text: LOCK_TEXT,
    values: [m.sender, m.recipient],
  });
  await c.query({
    name: 'floor_one',
    text: ONE_TEXT,
    values: [m.conversation, m.sender, body, m.recipient, payload(m, body)],
  });
  await c.query('commit');
  return 1;
}

/**
 * Several sends (of distinct pairs) in one transaction, each with its own statements as `one` sends
 * them (its lock, its rows): what sharing only the transaction (BEGIN, COMMIT, the WAL flush) saves,
 * beside `batch`, which also shares the statements.
 */
async function sequential(c: pg.PoolClient, sends: Send[]): Promise<number> {
  const ms = [...sends].sort((a, b) => Math.min(a.sender, a.recipient) - Math.min(b.sender, b.recipient) || a.conversation - b.conversation);
  await c.query('begin');
  for (const m of ms) {
    const body = `hello ${serial++}`;
    await c.query({ name: 'floor_lock', text: LOCK_TEXT, values: [m.sender, m.recipient] });
    await c.query({ name: 'floor_one', text: ONE_TEXT, values: [m.conversation, m.sender, body, m.recipient, payload(m, body)] });
  }
  await c.query('commit');
  return ms.length;
}

/** Several sends (of distinct pairs) in one transaction: the locks in two statements, the rows in one shared statement. */
async function batch(c: pg.PoolClient, sends: Send[]): Promise<number> {
  const ms = [...sends].sort((a, b) => a.conversation - b.conversation);
  const bodies = ms.map(() => `hello ${serial++}`);
  await c.query('begin');
  await c.query({
    name: 'floor_locks',
    text: 'select pg_advisory_xact_lock(l::int, h::int) from unnest($1::int[], $2::int[]) as x(l, h) order by l, h',
    values: [ms.map((m) => Math.min(m.sender, m.recipient)), ms.map((m) => Math.max(m.sender, m.recipient))],
  });
  await c.query({
    name: 'floor_senders',
    text: 'select id from members where id = any($1::bigint[]) order by id for no key update',
    values: [ms.map((m) => m.sender)],
  });
  await c.query({
    name: 'floor_batch',
    text: `with v as (select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::jsonb[]) as v(c, s, r, body, payload)),
      m as (insert into messages (conversation_id, sender_id, body, channel, body_hash, to_non_connection, recipient_id, created_at)
              select c, s, body, 'direct', md5(body), false, r, now() from v returning id, conversation_id, sender_id),
      w2 as (update conversations cv set last_message_at = now(), last_message_id = m.id from m where cv.id = m.conversation_id),
      w3 as (update conversation_members cm set last_activity_at = now(), last_message_id = m.id, hidden = false,
               unread = case when cm.member_id = m.sender_id then 0 else cm.unread + 1 end,
               last_read_message_id = case when cm.member_id = m.sender_id then m.id else cm.last_read_message_id end
             from m where cm.conversation_id = m.conversation_id),
      w5 as (insert into member_counters as c (member_id, messages_at) select s, array[now()] from v on conflict (member_id)
               do update set messages_at = array(select t from unnest(c.messages_at) t where t > now() - interval '1 minute') || now()),
      e as (insert into events (type, member_ids, payload, created_at) select 'message.created', array[s, r], payload, now() from v returning id)
      select count(*) from e`,
    values: [ms.map((m) => m.conversation), ms.map((m) => m.sender), ms.map((m) => m.recipient), bodies, ms.map((m, i) => payload(m, bodies[i]))],
  });
  await c.query('commit');
  return ms.length;
}

/** bench:messages' baseline transaction (bench/lib.ts). */
async function raw(c: pg.PoolClient, m: Send): Promise<number> {
  await rawInsertTransaction(c, m.conversation, m.sender);
  return 1;
}

interface Run {
  label: string;
  perSecond: number;
  pgMs: number;
}

/** WORKERS clients for SECONDS, each on pairs of its own (no two transactions wait on one pair). */
async function run(pool: pg.Pool, label: string, sends: Send[], each: (c: pg.PoolClient, ms: Send[]) => Promise<number>, size: number): Promise<Run> {
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  const pg0 = postgresCpuSeconds();
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, w) => {
      // this worker's conversations: each in one direction, then each in the other (a batch takes distinct ones)
      const mine = sends.filter((m) => m.conversation % WORKERS === w).sort((a, b) => Number(a.sender > a.recipient) - Number(b.sender > b.recipient));
      for (let j = 0; performance.now() < end; j++) {
        const ms = Array.from({ length: size }, (_, k) => mine[(j * size + k) % mine.length]);
        const distinct = [...new Map(ms.map((m) => [m.conversation, m])).values()];
        const c = await pool.connect();
        try {
          // not `n += await …`: that reads n before the await, and the workers' counts would overwrite one another
          const done = await each(c, distinct);
          n += done;
        } finally {
          c.release();
        }
      }
    }),
  );
  const pgMs = (1000 * (postgresCpuSeconds() - pg0)) / Math.max(n, 1);
  const r = { label, perSecond: (1000 * n) / (performance.now() - start), pgMs };
  log(`${label}: ${r.perSecond.toFixed(0)}/s, PostgreSQL's CPU ${pgMs.toFixed(3)} ms each`);
  return r;
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'liaison-send-floor-'));
  const policyFile = path.join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ messagesPerMinute: 1_000_000, signupsPerHourPerAddress: 1_000_000 }));
  const db = await scratchDb('liaison_bench_floor');
  try {
    // the schema and the pairs' conversations, made by the server itself
    const server = await startChild(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), {
      DATABASE_URL: db.url,
      LIAISON_DATA_DIR: dir,
      LIAISON_POLICY: policyFile,
    });
    log(`${PAIRS} connected pairs with a conversation each…`);
    const senders = await connectedPairs(server.url, PAIRS);
    for (let i = 0; i < senders.length; i += 2)
      await createClient({ baseUrl: server.url, token: senders[i].token }).postMessages({ body: { to: senders[i].to, body: 'first' } });
    await server.stop();
    const pool = new pg.Pool({ connectionString: db.url, max: POOL });
    const { rows } = await pool.query<{ id: string; s: string; r: string }>('select id, starter_id as s, recipient_id as r from conversations');
    const sends: Send[] = rows.flatMap((c) => [
      { conversation: Number(c.id), sender: Number(c.s), recipient: Number(c.r) },
      { conversation: Number(c.id), sender: Number(c.r), recipient: Number(c.s) },
    ]);
    await pool.query(RAW_TABLE);
    const runs: Run[][] = [];
    for (let round = 0; round < 2; round++)
      runs.push([
        await run(pool, 'raw single-row INSERT transaction', sends, (c, ms) => raw(c, ms[0]), 1),
        await run(pool, "a send's locks and rows, one send a transaction", sends, (c, ms) => one(c, ms[0]), 1),
        await run(pool, `a send's locks and rows, ${BATCH} sends a transaction, each with its own statements`, sends, sequential, BATCH),
        await run(pool, `a send's locks and rows, ${BATCH} sends a transaction`, sends, batch, BATCH),
      ]);
    await pool.end();
    const cores = os.cpus().length;
    const best = runs[0].map((r, i) => (runs[1][i].pgMs < r.pgMs ? runs[1][i] : r));
    const rawMs = best[0].pgMs;
    writeSection(
      'Message sends: what PostgreSQL spends on a send',
      [
        `${machine()}. \`node dist/bench/send-floor.js\` (not part of \`npm run bench\`): the rows a direct message writes (the message, the conversation's last message, both sides, the sender's counter row, the outbox event) under the send's locks (the pair's advisory lock, the sender's row), replayed by ${WORKERS} clients of a pool of ${POOL} from the bench process with hand-written statements on the real schema (${PAIRS} connected pairs with a conversation each, made by the server; each client on conversations of its own). Three ways: one send a transaction; ${BATCH} sends a transaction each with its own statements (sharing only BEGIN, COMMIT and the WAL flush); ${BATCH} sends a transaction with shared statements. The send's read (the members, counters, pair rows and conversation, read under the locks) is not in it. PostgreSQL's CPU is that of every PostgreSQL process on the machine (/proc), divided by the sends; each figure the lower of two runs of ${SECONDS} s.`,
        '',
        `| what | per second | PostgreSQL's CPU each | × the raw transaction's | ceiling on ${cores} cores if nothing else ran | as a share of the raw transactions measured |`,
        '|---|---|---|---|---|---|',
        ...best.map(
          (r) =>
            `| ${r.label} | ${r.perSecond.toFixed(0)} | ${r.pgMs.toFixed(3)} ms | ${(r.pgMs / rawMs).toFixed(1)}× | ${((cores * 1000) / r.pgMs).toFixed(0)}/s | ${((100 * (cores * 1000)) / r.pgMs / best[0].perSecond).toFixed(0)}% |`,
        ),
      ].join('\n'),
    );
    log('wrote bench/RESULTS.md (Message sends: what PostgreSQL spends on a send)');
  } finally {
    await db.drop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
