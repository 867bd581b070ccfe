/**
 * Housekeeping without a cron (issue 15): expired Idempotency-Key rows (24 hours), sessions idle
 * longer than the policy's sessionIdleDays, uploads never attached to a message (a day), pages
 * nobody runs any more (closed), and on
 * PGlite the planner's statistics of tables that grew (src/store/statistics.ts). It runs
 * on a timer of the server and opportunistically (an upload asks for it), at most once per
 * `everyMs` of the injected clock, one run at a time; a failed run is logged and retried next time.
 */
import { lt } from 'drizzle-orm';
import { DAY_MS, sessionIdleCutoff } from '../policy/index.js';
import { idempotency, sessions } from '../store/schema.js';
import type { Deps } from './context.js';
import { purgeUnattached } from './uploads.js';
import { purgeNotifications } from './notifications.js';
import { analyzeGrown } from '../store/statistics.js';
import { closeOrphanedPages } from './accounts.js';

/** Idempotency-Key rows live this long (src/http/idempotency.ts). */
export const KEY_TTL_MS = DAY_MS;

export interface HousekeepingReport {
  idempotencyKeys: number;
  sessions: number;
  attachments: number;
  files: number;
  /** notification groups older than notificationRetentionDays */
  notifications: number;
  /** pages nobody runs, closed (accounts.ts closeOrphanedPages) */
  pages: number;
  /** tables analyzed again (PGlite: no autovacuum there) */
  analyzed: string[];
}

const registry = new WeakMap<Deps, Housekeeper>();

/** The housekeeper of the instance serving these deps (set by startServer). */
export function housekeeperFor(deps: Deps): Housekeeper | undefined {
  return registry.get(deps);
}

export class Housekeeper {
  private lastRun = Number.NEGATIVE_INFINITY;
  private running: Promise<HousekeepingReport | null> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: Deps,
    private readonly attachmentsDir: string,
    readonly everyMs = 10 * 60_000,
    private readonly log?: (msg: string, extra?: object) => void,
  ) {
    registry.set(deps, this);
  }

  /** One full pass, now. */
  async runOnce(): Promise<HousekeepingReport> {
    const now = this.deps.clock.now();
    this.lastRun = now.getTime();
    const db = this.deps.store.db;
    const keys = await db
      .delete(idempotency)
      .where(lt(idempotency.createdAt, new Date(now.getTime() - KEY_TTL_MS)))
      .returning({ k: idempotency.key });
    const idle = await db
      .delete(sessions)
      .where(lt(sessions.lastUsedAt, sessionIdleCutoff(now, this.deps.policy)))
      .returning({ id: sessions.id });
    const uploads = await purgeUnattached(this.deps, this.attachmentsDir, now);
    const notifications = await purgeNotifications(this.deps, now);
    const pages = await closeOrphanedPages(this.deps);
    const analyzed = this.deps.store.kind === 'pglite' ? await analyzeGrown(db) : [];
    return { idempotencyKeys: keys.length, sessions: idle.length, attachments: uploads.rows, files: uploads.files, notifications, pages, analyzed };
  }

  /** Starts a pass when the clock moved `everyMs` since the last one and none is running; never waits. */
  maybeRun(): void {
    const now = this.deps.clock.now().getTime();
    if (this.running || now - this.lastRun < this.everyMs) return;
    this.lastRun = now;
    this.running = this.runOnce()
      .catch((e) => {
        this.log?.('housekeeping failed', { err: String(e) });
        return null;
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** The pass in progress, if any (tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.maybeRun(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
