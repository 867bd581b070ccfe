/**
 * A PostgreSQL cluster of the test's own: initdb into a temporary folder with the machine's
 * PostgreSQL 15 binaries, its own port on 127.0.0.1, stopped and started at will (the shared server
 * on 5432 is never touched). initdb and postgres refuse to run as root, so as root they run as the
 * `postgres` OS user. The cluster is stopped and its folder removed by `destroy()`, at process exit
 * if the test forgot, and, for a test process that was killed, by the next test that starts one.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
export const PG_BIN = process.env.LIAISON_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PREFIX = 'liaison-pgfault-';
const asRoot = process.getuid?.() === 0;

/** Whether this machine can run a cluster of its own (the binaries, and a non-root user to run them as). */
export function clusterAvailable(): boolean {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) return false;
  if (!asRoot) return true;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function cmd(bin: string, args: string[]): [string, string[]] {
  const path = join(PG_BIN, bin);
  return asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

async function pgTool(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = cmd(bin, args);
  const { stdout, stderr } = await run(file, argv, { timeout: timeoutMs });
  return stdout + stderr;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops and removes clusters left behind by test processes that died without cleaning up. */
function reapStale(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
    } catch {
      /* no owner file: being created right now, or not ours */
      continue;
    }
    if (!Number.isInteger(owner) || alive(owner)) continue;
    try {
      if (existsSync(join(dir, 'data', 'postmaster.pid')))
        execFileSync(...cmd('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore', timeout: 20_000 });
    } catch {
      /* already stopped */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Cluster {
  port: number;
  dir: string;
  /** postgres://postgres@127.0.0.1:<port>/<db> */
  url(db?: string): string;
  createDatabase(name: string): Promise<string>;
  start(): Promise<void>;
  /** pg_ctl stop -m fast | immediate */
  stop(mode: 'fast' | 'immediate' | 'smart'): Promise<void>;
  running(): boolean;
  /** Runs a PostgreSQL client tool (pg_dump, pg_restore, psql…) as the cluster's OS user. */
  tool(bin: string, args: string[]): Promise<string>;
  destroy(): Promise<void>;
  log(): string;
}

const live = new Set<Cluster>();
let exitHook = false;

export async function startCluster(settings: Record<string, string> = {}): Promise<Cluster> {
  reapStale();
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await pgTool('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const opts = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off', // the OS does not crash in these tests; PostgreSQL's crash recovery still runs
    full_page_writes: 'off',
    max_connections: '100',
    ...settings,
  };
  const o = Object.entries(opts)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  let running = false;
  const c: Cluster = {
    port,
    dir,
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${db}`,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: c.url() });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return c.url(name);
    },
    async start() {
      await pgTool('pg_ctl', ['-D', data, '-o', o, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop(mode) {
      running = false;
      await pgTool('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    running: () => running,
    tool: (bin, args) => pgTool(bin, args),
    async destroy() {
      live.delete(c);
      if (existsSync(join(data, 'postmaster.pid'))) await pgTool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => '');
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => {
      try {
        return readFileSync(join(dir, 'postgres.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
  live.add(c);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const x of live) {
        try {
          execFileSync(...cmd('pg_ctl', ['-D', join(x.dir, 'data'), '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore', timeout: 20_000 });
        } catch {
          /* not running */
        }
        rmSync(x.dir, { recursive: true, force: true });
      }
    });
  }
  await c.start();
  return c;
}
