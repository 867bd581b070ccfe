/**
 * Once a test run: an empty PGlite cluster (initdb done, nothing migrated), dumped to a file that
 * every `memory://` store of the run starts from (LIAISON_PGLITE_TEMPLATE, src/store/db.ts) instead
 * of running initdb again: about 1.3 s saved a store, and the unit stage opens hundreds.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

export async function setup(): Promise<() => void> {
  if (process.env.LIAISON_PGLITE_TEMPLATE) return () => {};
  const client = await PGlite.create('memory://template');
  const dump = await client.dumpDataDir('none');
  await client.close();
  const file = join(tmpdir(), `liaison-pglite-template-${process.pid}.tar`);
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.LIAISON_PGLITE_TEMPLATE = file;
  return () => {
    rmSync(file, { force: true });
    delete process.env.LIAISON_PGLITE_TEMPLATE;
  };
}
