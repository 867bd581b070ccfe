/** What the race suites share: a round runner that counts rule breaks and deadlocks, and row checks. */
import type { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Harness } from '../helpers/harness.js';

export const ROUNDS = Number(process.env.LIAISON_RACE_ROUNDS ?? 10);
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the query finds a row. */
export async function any(h: Harness, q: ReturnType<typeof sql>): Promise<boolean> {
  return ((await h.inst.store.db.execute(q)) as unknown as { rows: unknown[] }).rows.length > 0;
}

/** Deadlocks the instance retried so far (liaison_transaction_retries_total{code="40P01"}). */
export async function deadlocks(h: Harness): Promise<number> {
  const text = (await h.call('GET', '/metrics')).text;
  return [...text.matchAll(/^liaison_transaction_retries_total\{code="40P01"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/**
 * `round` ROUNDS times (each on fresh members; `i` varies the pause between the requests): it
 * answers the statuses it saw and whether the rule broke. None may break it or answer 5xx, and no
 * deadlock may be retried meanwhile. `tally` collects a line per race for the suite's log.
 */
export async function rounds(
  h: Harness,
  tally: Map<string, string>,
  name: string,
  rule: string,
  round: (i: number) => Promise<{ statuses: number[]; broke: boolean }>,
): Promise<void> {
  const before = await deadlocks(h);
  let broke = 0;
  const seen: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await round(i);
    seen.push(r.statuses.join('/'));
    if (r.broke || r.statuses.some((s) => s >= 500)) broke++;
  }
  const locked = (await deadlocks(h)) - before;
  tally.set(name, `${broke}/${ROUNDS} broke "${rule}", ${locked} deadlocks, statuses ${seen.join(',')}`);
  expect([broke, locked], `rounds that broke "${rule}", deadlocks`).toEqual([0, 0]);
}
