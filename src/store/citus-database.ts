/**
 * A new database on a Citus cluster (README "On Citus"): Citus does not pass CREATE DATABASE to the
 * workers, so the database is created, and given the extension, on the coordinator and on every
 * worker the coordinator knows; then the new database's coordinator learns its workers. Used by the
 * test harness (LIAISON_TEST_CITUS_URL) and the benchmarks (BENCH_CITUS_URL).
 */
import pg from 'pg';

async function onDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `base` names a database on the coordinator (its maintenance database, say); `name` the one to create. */
export async function createCitusDatabase(
  base: string,
  name: string,
  opts: { shardCount?: number; replace?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const at = (host: string, port: number, db: string) => {
    const u = new URL(base);
    u.hostname = host;
    u.port = String(port);
    u.pathname = '/' + db;
    return u.toString();
  };
  const coord = new URL(base);
  const coordPort = Number(coord.port || 5432);
  const workers = await onDb(
    base,
    async (c) =>
      (await c.query(`select nodename, nodeport from pg_dist_node where groupid <> 0 and noderole = 'primary' order by nodeport`)).rows as {
        nodename: string;
        nodeport: number;
      }[],
  );
  const nodes = [{ nodename: coord.hostname, nodeport: coordPort }, ...workers];
  const maintenance = coord.pathname.replace(/^\//, '') || 'postgres';
  const drop = async () => {
    for (const n of nodes)
      await onDb(at(n.nodename, n.nodeport, maintenance), (c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
  };
  if (opts.replace) await drop();
  for (const n of nodes) {
    await onDb(at(n.nodename, n.nodeport, maintenance), (c) => c.query(`create database ${name}`));
    await onDb(at(n.nodename, n.nodeport, name), (c) => c.query(`create extension citus`));
  }
  const url = at(coord.hostname, coordPort, name);
  await onDb(url, async (c) => {
    await c.query(`select citus_set_coordinator_host($1, $2)`, [coord.hostname, coordPort]);
    for (const w of workers) await c.query(`select citus_add_node($1, $2)`, [w.nodename, w.nodeport]);
    if (opts.shardCount) await c.query(`alter database ${name} set citus.shard_count = ${Number(opts.shardCount)}`);
  });
  return { url, drop };
}
