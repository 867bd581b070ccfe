#!/usr/bin/env node
/** `liaison serve | migrate` (and more verbs as they land). */
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { startServer } from '../server.js';
import { openStore } from '../store/db.js';

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

const REDACT = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'password', 'token', 'body'];

async function serve() {
  const cfg = config();
  const logger = { level: cfg.logLevel, redact: { paths: REDACT, censor: '[redacted]' } };
  const log = pino(logger);
  const inst = await startServer(cfg, { logger });
  log.info({ url: inst.url, storage: inst.store.kind }, 'liaison listening');
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
  await store.migrate();
  await store.close();
  process.stdout.write(`migrations applied (${store.kind})\n`);
}

const USAGE = `usage: liaison <command>
  serve      start the server (PORT, HOST, LIAISON_DATA_DIR, DATABASE_URL, LIAISON_POLICY, LIAISON_ADMIN_TOKEN, LIAISON_NATS_URL)
  migrate    apply database migrations and exit
`;

const commands: Record<string, (args: string[]) => Promise<void>> = {
  serve: () => serve(),
  migrate: () => migrate(),
};

const [cmd = 'serve', ...rest] = process.argv.slice(2);
const run = commands[cmd];
if (!run) {
  process.stderr.write(USAGE);
  process.exit(cmd === 'help' || cmd === '--help' ? 0 : 2);
} else {
  run(rest).catch((e) => {
    process.stderr.write(`liaison ${cmd}: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
