/**
 * Soak, bounded mode (issue 22): the load of `npm run soak` (bench/soak.ts) for 3 minutes against
 * two real `liaison serve` instances on the machine's PostgreSQL (a scratch database of its own) and
 * NATS, sampled every 10 s. Runs in .ci/run as the suite "soak"; skipped without DATABASE_URL and
 * LIAISON_NATS_URL (like test/faults). SOAK_MINUTES lengthens it.
 *
 * Required, after a first minute of warm-up (caches filling, JIT, pools opening):
 * - no request fails (any status >= 400 or network error) and every sent message reaches its
 *   recipient's socket within 5 s;
 * - memory flat over the second half: RSS (mean of its last 3 samples against its first 3) and V8
 *   heap used (its floor: the least of its last 3 samples against the least of its first 3, since a
 *   sample may catch up to ~15 MiB of garbage the next collection frees) grow by less than RSS_BOUND
 *   and HEAP_BOUND. Measured on a loaded 2-core machine (bench/RESULTS.md, "Soak, bounded mode"):
 *   without a leak the heap floor moved by up to +14% and RSS by up to +6.5% over 90 s (a major
 *   collection every minute or so), so these bounds catch a gross leak (tens of MiB a minute), not a
 *   slow one: the 60-minute `npm run soak` is the test for those.
 * - open handles flat over the second half: at most HANDLES_BOUND more, plus HANDLES_SLACK (the
 *   load's keep-alive connections come and go with latency, a few at a time);
 * - request p99 of the last minute at most P99_BOUND times that of the first steady minute (the second).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, pct } from '../../bench/lib.js';
import { judge, runSoak, type SoakRun, type Verdict } from '../../bench/soak.js';

const enabled = !!process.env.DATABASE_URL && !!process.env.LIAISON_NATS_URL;
const MINUTES = Number(process.env.SOAK_MINUTES ?? 3);
const RATE = 20;
const INTERVAL_MS = 10_000;
const RSS_BOUND = 0.15;
const HEAP_BOUND = 0.25;
const HANDLES_BOUND = 0.05;
const HANDLES_SLACK = 5;
const P99_BOUND = 3;

describe.skipIf(!enabled)(`soak, bounded mode (${MINUTES} minutes, two instances, ${RATE} requests/s)`, () => {
  let run: SoakRun;
  let v: Verdict;
  let p99Steady: number;
  let p99Last: number;
  let heapFloor: number[];

  beforeAll(
    async () => {
      run = await runSoak({
        minutes: MINUTES,
        rate: RATE,
        members: 500,
        intervalMs: INTERVAL_MS,
        main: join(ROOT, 'src', 'cli', 'main.ts'),
        nodeArgs: ['--import', 'tsx'],
        log: (line) => console.log(line),
      });
      v = judge(run);
      const perMinute = 60_000 / INTERVAL_MS;
      const pooled = (ls: SoakRun['loads']) =>
        pct(
          ls.flatMap((l) => l.lat).sort((x, y) => x - y),
          99,
        );
      p99Steady = pooled(run.loads.slice(perMinute, 2 * perMinute));
      p99Last = pooled(run.loads.slice(-perMinute));
      heapFloor = run.samples.map((s) => {
        const w = s.slice(v.from).map((x) => x.heapMiB);
        return Math.min(...w.slice(-v.k)) / Math.min(...w.slice(0, v.k)) - 1;
      });
      const pctf = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;
      console.log(
        [
          `${v.requests} requests, ${v.errors} errors, ${v.undelivered} undelivered; p99 ${p99Steady.toFixed(0)} ms (minute 2) → ${p99Last.toFixed(0)} ms (last minute)`,
          ...v.instances.map(
            (x, i) =>
              `instance ${'AB'[i]}, samples ${v.from}–${v.to}: RSS ${pctf(x.rss)}, heap ${pctf(x.heap)} (floor ${pctf(heapFloor[i]!)}), handles ${x.handlesFrom.toFixed(1)} → ${x.handlesTo.toFixed(1)}`,
          ),
          'interval | requests | errors | p99 ms | RSS A/B MiB | heap A/B MiB | handles A/B',
          ...run.loads.map((l, i) => {
            const [a, b] = [run.samples[0]![i + 1]!, run.samples[1]![i + 1]!];
            return `${l.minute} | ${l.requests} | ${JSON.stringify(l.errors)} | ${l.p99.toFixed(0)} | ${a.rssMiB.toFixed(0)}/${b.rssMiB.toFixed(0)} | ${a.heapMiB.toFixed(1)}/${b.heapMiB.toFixed(1)} | ${a.handles}/${b.handles}`;
          }),
        ].join('\n'),
      );
    },
    (MINUTES + 6) * 60_000,
  );

  it('answers every request and delivers every message to its socket', () => {
    const errors: Record<string, number> = {};
    for (const l of run.loads) for (const [k, n] of Object.entries(l.errors)) errors[k] = (errors[k] ?? 0) + n;
    expect(errors).toEqual({});
    expect(v.undelivered).toBe(0);
    // the open loop really ran: at least 90% of the requests it meant to send
    expect(v.requests).toBeGreaterThan(0.9 * RATE * MINUTES * 60);
  });

  it(`keeps memory flat over the second half (RSS grows under ${RSS_BOUND * 100}%, the heap floor under ${HEAP_BOUND * 100}%)`, () => {
    for (const [i, x] of v.instances.entries()) {
      expect(x.rss).toBeLessThan(RSS_BOUND);
      expect(heapFloor[i]).toBeLessThan(HEAP_BOUND);
    }
  });

  it(`keeps open handles flat over the second half (at most +${HANDLES_BOUND * 100}% + ${HANDLES_SLACK})`, () => {
    for (const x of v.instances) expect(x.handlesTo).toBeLessThanOrEqual(x.handlesFrom * (1 + HANDLES_BOUND) + HANDLES_SLACK);
  });

  it(`keeps request p99 stable (last minute at most ${P99_BOUND}× the first steady minute)`, () => {
    expect(p99Last).toBeLessThanOrEqual(P99_BOUND * p99Steady);
  });
});
