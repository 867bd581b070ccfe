/**
 * The model-based test of issue 14: random sequences of commands run against the real HTTP server
 * (in-process, through the test harness, on PGlite or on the PostgreSQL of DATABASE_URL) and
 * against the reference model of DOMAIN.md (model.ts); after every command the answers are
 * compared (commands.ts). See docs/testing.md.
 *
 * One server serves every run: each run signs up its own members (handles carry a token of the
 * run) and starts later in time than the run before, so runs never see each other's state.
 *
 * Environment:
 *   LIAISON_MODEL_RUNS      sequences to run at most (default 400; nightly e.g. 100000)
 *   LIAISON_MODEL_COMMANDS  at most this many commands a sequence (default 60)
 *   LIAISON_MODEL_SECONDS   stop generating new sequences after this long (default 150)
 *   LIAISON_MODEL_SEED, LIAISON_MODEL_PATH, LIAISON_MODEL_REPLAY   replay a failure (all three printed
 *                          when one is found; REPLAY is fast-check's replayPath of the commands run)
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { PolicySchema } from '../../src/policy/index.js';
import { ADMIN_TOKEN, harness, storageKind, type Harness } from '../helpers/harness.js';
import { commandArbitraries, signUp, stats, type Real } from './commands.js';
import { DAY, MINUTE, Model } from './model.js';

// Password hashing is not under test here and costs ~0.1 s a sign-up (Argon2id): a run signs up
// several members, so the test swaps in a cheap stand-in (this test file only).
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...real,
    hash: async (password: string) => `model-test$${password}`,
    verify: async (hashed: string, password: string) => hashed === `model-test$${password}`,
  };
});

/** A small network where the limits are reached quickly (keys the server's policy lacks are left out). */
const SMALL_POLICY: Record<string, number> = {
  connectionCap: 2,
  reportsToRestrict: 2,
  messagesPerMinute: 8,
  bulkRecipientsThreshold: 3,
  reportMinAccountAgeDays: 0,
  invitationsPerWeek: 10,
  notesPerMonthFree: 2,
  groupConversationsPerMonth: 3,
  nonConnectionConversationsPerMonth: 6,
  idkReportsToRequireEmail: 2,
  introductionsPerMonth: 2,
  // Not under test here: many sign-ups from one address, uploads, idle sessions over months of clock.
  signupsPerHourPerAddress: 1_000_000,
  uploadsPerHour: 1_000_000,
  sessionIdleDays: 100_000,
};

function smallPolicy(): Record<string, number> {
  const known = (PolicySchema as unknown as { properties: Record<string, unknown> }).properties;
  return Object.fromEntries(Object.entries(SMALL_POLICY).filter(([k]) => k in known));
}

const env = (k: string) => (process.env[k] === undefined || process.env[k] === '' ? undefined : process.env[k]);
const RUNS = Number(env('LIAISON_MODEL_RUNS') ?? 400);
const MAX_COMMANDS = Number(env('LIAISON_MODEL_COMMANDS') ?? 60);
const SECONDS = Number(env('LIAISON_MODEL_SECONDS') ?? 150);
const SEED = env('LIAISON_MODEL_SEED') !== undefined ? Number(env('LIAISON_MODEL_SEED')) : randomBytes(4).readUInt32BE(0) | 0;
const PATH = env('LIAISON_MODEL_PATH');
const REPLAY = env('LIAISON_MODEL_REPLAY');

/** A token per sequence, never the same twice in a process (handles are a word and this token). */
const TOKEN_BASE = randomBytes(4).readUInt32BE(0) % 36 ** 5;
function runToken(n: number): string {
  return ((TOKEN_BASE + n * 7919) % 36 ** 5).toString(36).padStart(5, '0');
}

describe(`model-based test of the rule book (${storageKind})`, () => {
  let h: Harness;
  /** Older servers lack the purchase route (and quotas.purchasedCredits): purchases are then skipped. */
  let purchases = true;
  beforeAll(async () => {
    h = await harness({ policy: smallPolicy(), now: '2026-03-10T09:17:00Z' });
    const probe = await h.call('POST', '/v1/admin/members/nobody-here/inmail-credits', { token: ADMIN_TOKEN, body: { credits: 1 } });
    purchases = !(probe.status === 404 && String(probe.body?.error?.message ?? '').startsWith('no route'));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it(
    'answers every command as the model of DOMAIN.md and API.md does',
    async () => {
      let clock = h.clock.now().getTime();
      let runs = 0;
      let commands = 0;
      let lastFailure: string[] | null = null;
      let firstFailure: { after: number; runs: number } | null = null;
      const started = Date.now();
      if (!purchases) console.log('[model] this server has no POST /v1/admin/members/:handle/inmail-credits: purchases are not exercised');
      console.log(`[model] ${storageKind}: seed ${SEED}${PATH ? ` path ${PATH}` : ''}, ${RUNS} runs of at most ${MAX_COMMANDS} commands, ${SECONDS} s`);
      const property = fc.asyncProperty(
        fc.commands(commandArbitraries(), { maxCommands: MAX_COMMANDS, size: 'max', ...(REPLAY ? { replayPath: REPLAY } : {}) }),
        fc.nat({ max: 40 * 24 * 60 }),
        async (cmds, offsetMinutes) => {
          // Every run starts later than anything before it (the server's clock only moves forward).
          clock += DAY + offsetMinutes * MINUTE + 17 * MINUTE;
          const model = new Model(h.config.policy, new Date(clock));
          model.purchasesSupported = purchases;
          h.clock.set(model.now);
          const real: Real = { h, run: runToken(runs), trace: [] };
          runs++;
          try {
            await fc.asyncModelRun(async () => {
              for (let i = 0; i < 3; i++) await signUp(model, real);
              return { model, real };
            }, cmds);
            commands += real.trace.filter((l) => l.startsWith('  ') && !l.startsWith('    ')).length;
          } catch (e) {
            lastFailure = [`run ${real.run} from ${new Date(clock).toISOString()}:`, ...real.trace];
            firstFailure ??= { after: (Date.now() - started) / 1000, runs };
            throw e;
          } finally {
            clock = Math.max(clock, model.now.getTime());
          }
        },
      );
      try {
        await fc.assert(property, {
          numRuns: RUNS,
          seed: SEED,
          path: PATH,
          verbose: 1,
          endOnFailure: false,
          interruptAfterTimeLimit: SECONDS * 1000,
          markInterruptAsFailure: false,
        });
      } catch (e) {
        if (lastFailure) console.error(`[model] the trace of the shrunk sequence:\n${(lastFailure as string[]).join('\n')}`);
        // The error itself names the seed, the path and the shrunk trace's end, so a CI log's summary
        // (which prints the start of each failure's message) is enough to replay it.
        const message = e instanceof Error ? e.message : String(e);
        const replayPath = /replayPath="([^"]*)"/.exec(message)?.[1];
        const replay = `LIAISON_MODEL_SEED=${SEED} LIAISON_MODEL_PATH=${/path: "([^"]*)"/.exec(message)?.[1] ?? '?'}${replayPath ? ` LIAISON_MODEL_REPLAY='${replayPath}'` : ''} (${storageKind})`;
        // fast-check keeps the command's own error (the mismatch) as the cause
        const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : (message.split('\n').find((l) => l.startsWith('Got error')) ?? '');
        const mismatch = cause.split('\n').slice(0, 2).join('\n');
        const trace = lastFailure ? (lastFailure as string[]).slice(-12) : [];
        throw new Error(`${message.split('\n')[0]}; replay with ${replay}\n${mismatch.slice(0, 600)}\ntrace's end:\n${trace.join('\n')}\n\n${message}`);
      } finally {
        if (env('LIAISON_MODEL_STATS'))
          console.log(
            `[model] situations reached:\n${[...stats.entries()]
              .sort()
              .map(([k, n]) => `  ${String(n).padStart(6)} ${k}`)
              .join('\n')}`,
          );
        // Always: the refusals of asks for an introduction by reason (issue 21: are the rare ones reached?).
        const refusals = [...stats.entries()].filter(([k]) => k.startsWith('ask refused ')).sort((p, q) => q[1] - p[1]);
        const lifted = stats.get('intro run burst: 90 days after a pause, the ask allowed') ?? 0;
        console.log(
          `[model] asks: ${(stats.get('ask with a note') ?? 0) + (stats.get('ask without a note') ?? 0)} allowed; refused by reason: ${refusals.map(([k, n]) => `${k.slice('ask refused '.length)} ${n}`).join(', ') || 'none'}; allowed again 90 days after a pause: ${lifted}`,
        );
        const found = firstFailure as { after: number; runs: number } | null;
        console.log(
          `[model] ${storageKind}: ${runs} sequences (${commands} commands in passing ones) in ${((Date.now() - started) / 1000).toFixed(1)} s` +
            (found ? `; the first failure after ${found.after.toFixed(1)} s (sequence ${found.runs}), then shrinking` : ''),
        );
      }
    },
    (SECONDS + 600) * 1000,
  );
});
