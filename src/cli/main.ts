#!/usr/bin/env node
/** `liaison serve | migrate | seed | import | export | openapi | verify`. */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { startServer } from '../server.js';
import { openStore } from '../store/db.js';
import { importCsv, ImportError } from './import.js';
import { seed, SEED_PASSWORD } from './seed.js';
import { differs, fetchReport, formatReport } from './verify.js';
import { createWriteStream, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Deps } from '../services/context.js';
import { exportDocument } from '../services/export.js';
import { writeDueGrants } from '../services/notifications.js';
import { loadGraph } from '../services/graph.js';
import { memberByHandle } from '../services/members.js';
import { systemClock } from '../util/clock.js';

function config(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`liaison: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** Never logged: credentials, tokens, cookies, and what members write (message bodies, subjects, notes). */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
  'body',
  '*.body',
  'subject',
  '*.subject',
  'note',
  '*.note',
];

/** The request as logged: a token in the query string (GET /v1/stream?token=) is masked. */
function reqSerializer(req: { method?: string; url?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) {
  return {
    method: req.method,
    url: (req.url ?? '').replace(/([?&]token=)[^&#]*/gi, '$1[redacted]'),
    host: req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

async function serve() {
  const cfg = config();
  const logger = { level: cfg.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, serializers: { req: reqSerializer } };
  const log = pino(logger);
  const inst = await startServer(cfg, { logger, processMetrics: true });
  log.info({ url: inst.url, storage: inst.store.kind }, 'liaison listening');
  if (!log.isLevelEnabled('info')) process.stdout.write(`liaison listening on ${inst.url} (${inst.store.kind})\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    try {
      await inst.close();
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function migrate() {
  const cfg = config();
  const store = await openStore({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  // On Citus, migrate also places the tables by the distribution plan and says what it did.
  const placed: unknown = await store.migrate();
  await store.close();
  process.stdout.write(`migrations applied (${store.kind})\n`);
  const dist = placed as { citus?: boolean; applied?: string[] } | undefined;
  if (dist?.citus) process.stdout.write(`citus: ${dist.applied?.length ? dist.applied.join('\n') : 'every table already placed by the plan'}\n`);
}

async function seedCmd(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      members: { type: 'string', default: '1000' },
      'avg-degree': { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      prefix: { type: 'string', default: 'member' },
    },
  });
  const members = Number(values.members);
  const avgDegree = Number(values['avg-degree']);
  const s = Number(values.seed);
  if (!Number.isInteger(members) || members < 1) throw new UsageError('--members must be a positive integer');
  if (!(avgDegree >= 0) || avgDegree > 10_000) throw new UsageError('--avg-degree must be a number from 0 to 10000');
  if (!Number.isInteger(s)) throw new UsageError('--seed must be an integer');
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(values.prefix)) throw new UsageError('--prefix must be 1-16 of a-z 0-9 _ -');
  const cfg = config();
  const store = await openStore({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    await store.migrate();
    const r = await seed(store, { members, avgDegree, seed: s, prefix: values.prefix, progress: true });
    process.stdout.write(
      `seeded ${r.members} members (ids ${r.firstId}-${r.lastId}), ${r.connections} connections, ${r.pages} pages, ${r.groups} groups in ${(r.ms / 1000).toFixed(1)} s on ${store.kind}\n` +
        `members sign in as ${values.prefix}<n> with the password ${SEED_PASSWORD}; restart running servers to load the new graph\n`,
    );
  } finally {
    await store.close();
  }
}

async function importCmd(args: string[]) {
  if (args.length !== 2) throw new UsageError('usage: liaison import members.csv connections.csv');
  const cfg = config();
  const store = await openStore({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    await store.migrate();
    const r = await importCsv(store, args[0], args[1], { progress: true });
    process.stdout.write(`imported ${r.members} members and ${r.connections} connections\n`);
  } catch (e) {
    if (e instanceof ImportError) {
      process.stderr.write(`liaison import: nothing was imported; ${e.problems.length} problem(s):\n${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  } finally {
    await store.close();
  }
}

/** `liaison export --member <handle> [--out file]`: the member's export document (GET /v1/me/export) for an operator. */
async function exportCmd(args: string[]) {
  const { values } = parseArgs({ args, options: { member: { type: 'string' }, out: { type: 'string' } } });
  if (!values.member) throw new UsageError('--member <handle> is required');
  const cfg = config();
  const store = await openStore({ databaseUrl: cfg.databaseUrl, dataDir: cfg.dataDir });
  try {
    await store.migrate();
    const m = await memberByHandle(store.db, values.member);
    if (!m) throw new UsageError(`no member ${values.member}`);
    if (m.status === 'closed') throw new UsageError(`${values.member} is closed: closed accounts are not exported`);
    const { graph } = await loadGraph(store.db);
    const deps: Deps = { store, policy: cfg.policy, clock: systemClock, graph };
    // the ledger as the balance reads it (the monthly grants due written first, as GET /v1/me/export does)
    if (m.status === 'active') await writeDueGrants(deps, m);
    const out = values.out ? createWriteStream(values.out) : process.stdout;
    const c = { conversations: 0, messages: 0 };
    await pipeline(Readable.from(exportDocument(deps, store.db, m, new Date(), c)), out);
    if (values.out) {
      process.stderr.write(`exported ${values.member}: ${c.conversations} conversations, ${c.messages} messages to ${values.out}\n`);
    }
  } finally {
    await store.close();
  }
}

/** `liaison openapi [--out file]`: the served OpenAPI document, from an instance on in-memory storage. */
async function openapiCmd(args: string[]) {
  const { values } = parseArgs({ args, options: { out: { type: 'string' } } });
  const cfg = { ...config(), databaseUrl: undefined, dataDir: `memory://openapi-${process.pid}`, natsUrl: undefined };
  const inst = await startServer(cfg, { logger: false, listen: false });
  try {
    await inst.app.ready();
    const doc = `${JSON.stringify(inst.app.swagger(), null, 2)}\n`;
    if (values.out) writeFileSync(values.out, doc);
    else process.stdout.write(doc);
  } finally {
    await inst.close();
  }
}

/**
 * `liaison verify --url <instance> [--url …] [--token T] [--json]`: each instance's read model
 * against the tables (src/cli/verify.ts). Exit 0: no difference; 1: a difference; 2: an instance
 * could not be checked.
 */
async function verifyCmd(args: string[]) {
  const { values } = parseArgs({ args, options: { url: { type: 'string', multiple: true }, token: { type: 'string' }, json: { type: 'boolean' } } });
  const urls = values.url ?? [];
  if (urls.length === 0) throw new UsageError('--url <http://host:port of an instance> is required');
  for (const u of urls) {
    try {
      new URL(u);
    } catch {
      throw new UsageError(`--url: not a URL: ${u}`);
    }
  }
  const token = values.token ?? (process.env.LIAISON_ADMIN_TOKEN?.trim() || undefined);
  let status = 0;
  for (const url of urls) {
    const out = await fetchReport(url, token);
    if (!out.ok) {
      process.stderr.write(`liaison verify: ${out.error}\n`);
      status = 2;
      continue;
    }
    process.stdout.write(values.json ? `${JSON.stringify({ url, ...out.report })}\n` : formatReport(url, out.report));
    if (differs(out.report) && status === 0) status = 1;
  }
  process.exitCode = status;
}

class UsageError extends Error {}

const USAGE = `usage: liaison <command>
  serve      start the server (PORT, HOST, LIAISON_DATA_DIR, DATABASE_URL, LIAISON_POLICY, LIAISON_ADMIN_TOKEN, LIAISON_NATS_URL)
  migrate    apply database migrations and exit
  seed       --members N --avg-degree D --seed S [--prefix P]: write a generated network
  import     members.csv connections.csv: import members and connections (all or nothing)
  export     --member <handle> [--out file]: a member's export document (JSON), for operators
  openapi    [--out file]: the OpenAPI document the server serves at /v1/openapi.json (in-memory storage)
  verify     --url <instance> [--url …] [--token T] [--json]: compare each instance's read model with the
             tables (operator token: --token or LIAISON_ADMIN_TOKEN); exit 0 clean, 1 differences, 2 unreachable
`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  serve: () => serve(),
  migrate: () => migrate(),
  seed: (a) => seedCmd(a),
  import: (a) => importCmd(a),
  export: (a) => exportCmd(a),
  openapi: (a) => openapiCmd(a),
  verify: (a) => verifyCmd(a),
};

const [cmd = 'serve', ...rest] = process.argv.slice(2);
const run = commands[cmd];
if (!run) {
  process.stderr.write(USAGE);
  process.exit(cmd === 'help' || cmd === '--help' ? 0 : 2);
} else {
  run(rest).catch((e) => {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`liaison ${cmd}: ${(e as Error).message}\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`liaison ${cmd}: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
