/**
 * Issue 17: the sender quotas count from each member's counter row (src/services/counters.ts), which
 * the verbs write. Random histories of invitations (with and without notes), reports, messages and
 * time moved by the test clock (seconds to weeks): after every step, for every member, the counts
 * the counter rows give at `now` equal what count(*) over the history gives (the statement the quotas
 * used before the rows; kept here as the oracle). Conversations started are counted by the model
 * test (test/model), which knows which thread each member started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { selectRows } from '../../src/store/db.js';
import { counterColumns, historyColumns, selectJoined, WINDOW_COUNTS } from '../../src/services/counters.js';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, idOf, type User } from '../helpers/messaging.js';

const DAY = 86_400_000;
let h: Harness;
beforeAll(async () => {
  // small limits, so that histories reach them; messages and invitations are refused past them
  h = await harness({ policy: { invitationsPerWeek: 6, notesPerMonthFree: 2, messagesPerMinute: 4 } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const normal = (r: Record<string, unknown>) =>
  Object.fromEntries(
    WINDOW_COUNTS.map((k) => {
      const x = r[k];
      return [
        k,
        x === null || x === undefined
          ? null
          : x instanceof Date
            ? x.getTime()
            : typeof x === 'string' && Number.isNaN(Number(x))
              ? new Date(x).getTime()
              : Number(x),
      ];
    }),
  );

type Step =
  | { kind: 'invite'; from: number; to: number; note: boolean }
  | { kind: 'report'; by: number; nth: number }
  | { kind: 'message'; from: number; to: number }
  | { kind: 'wait'; ms: number };

const N = 8;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('invite' as const), from: fc.nat(N - 1), to: fc.nat(N - 1), note: fc.boolean() }),
  fc.record({ kind: fc.constant('report' as const), by: fc.nat(N - 1), nth: fc.nat(3) }),
  // mostly within the connected pairs (0-1, 2-3), sometimes to a stranger (refused)
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom([0, 1], [1, 0], [2, 3], [3, 2]).map(([from, to]) => ({ kind: 'message' as const, from, to })) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('message' as const), from: fc.nat(N - 1), to: fc.nat(N - 1) }) },
  ),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.constantFrom(1_000, 20_000, 59_000, 61_000, 3_600_000, 3 * DAY, 7 * DAY, 40 * DAY) }),
);

describe(`member counter rows (${storageKind})`, () => {
  it('give the counts count(*) over the history gives, through random histories and time', async () => {
    let runs = 0;
    const answers: Record<string, number> = {};
    const tally = (what: string, status: number) => (answers[`${what} ${status}`] = (answers[`${what} ${status}`] ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 50 }), async (steps) => {
        runs++;
        for (const s of steps) tally(`step ${s.kind}`, 0);
        const people: User[] = [];
        for (let i = 0; i < N; i++) people.push(await signUp(h));
        // everyone may message everyone: the first two pairs connected, the rest through open messages
        await connect(h, people[0], people[1]);
        await connect(h, people[2], people[3]);
        for (const s of steps) {
          if (s.kind === 'wait') h.clock.advance(s.ms);
          else if (s.kind === 'invite' && s.from !== s.to)
            tally(
              'invite',
              (
                await h.call('POST', '/v1/invitations', {
                  token: people[s.from].token,
                  body: { to: people[s.to].handle, ...(s.note ? { note: 'hello' } : {}) },
                })
              ).status,
            );
          else if (s.kind === 'report') {
            // received invitations, pending or ignored: reported once or again
            const got = await h.call('GET', '/v1/invitations?direction=received', { token: people[s.by].token });
            const inv = got.body.items?.[s.nth % Math.max(1, got.body.items.length)];
            if (inv) tally('report', (await h.call('POST', `/v1/invitations/${inv.id}/report`, { token: people[s.by].token })).status);
          } else if (s.kind === 'message' && s.from !== s.to)
            tally(
              'message',
              (await h.call('POST', '/v1/messages', { token: people[s.from].token, body: { to: people[s.to].handle, body: `m ${s.from}` } })).status,
            );
          const now = h.clock.now();
          for (const p of people) {
            const v = idOf(p);
            const [rows] = await selectRows<Record<string, unknown>>(h.inst.deps.store.db, selectJoined(counterColumns(v, now)));
            const [hist] = await selectRows<Record<string, unknown>>(h.inst.deps.store.db, sql`select ${historyColumns(v, now)}`);
            expect(normal(rows), `member ${v} after ${JSON.stringify(s)} at ${now.toISOString()}`).toEqual(normal(hist));
          }
        }
      }),
      { numRuns: 15 },
    );
    expect(runs).toBe(15);
    console.log(`counter histories (${storageKind}): ${JSON.stringify(answers)}`);
    // the histories reached every kind of write and the limits (403 past them)
    for (const k of ['invite 201', 'invite 403', 'report 200', 'message 201', 'message 403']) expect(answers[k] ?? 0, k).toBeGreaterThan(0);
  }, 240_000);

  it('a second report of the same invitation counts once, at the first report', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(inv.status).toBe(201);
    const first = h.clock.now();
    expect((await h.call('POST', `/v1/invitations/${inv.body.id}/report`, { token: b.token })).status).toBe(200);
    h.clock.advance(DAY);
    const again = await h.call('POST', `/v1/invitations/${inv.body.id}/report`, { token: b.token });
    expect([200, 409]).toContain(again.status);
    const [row] = await selectRows<Record<string, unknown>>(h.inst.deps.store.db, selectJoined(counterColumns(idOf(a), h.clock.now())));
    expect(Number(row.idk)).toBe(1);
    expect(new Date(row.idk_oldest as string).getTime()).toBe(first.getTime());
  });
});
