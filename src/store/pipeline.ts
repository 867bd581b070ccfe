/**
 * The pool's connections on PostgreSQL: named statements (prepared.ts) and a transaction's BEGIN
 * and COMMIT sent with its first and its last statement.
 *
 * A transaction through the data layer costs BEGIN, its statements, and COMMIT: two round trips
 * more than its statements, each a write to the socket that wakes the server's backend and a read
 * that waits for it (bench/RESULTS.md "Message sends": the socket writes were a third of the
 * server's CPU in a send). Here BEGIN is held until the transaction's first statement and goes
 * with it, and the statement the caller names as the last (`commitWithNext`, the unit of work's
 * final flush: src/services/uow.ts) carries the COMMIT: one message sequence of the extended
 * protocol each, ended by one Sync, so that PostgreSQL runs them as one unit. An error in any of
 * them makes PostgreSQL skip the rest up to the Sync: a statement never runs outside the
 * transaction when BEGIN failed, and COMMIT never runs after a statement that failed (the caller
 * then rolls back, as before). The statement's promise settles when COMMIT has answered:
 * whoever awaits it knows the rows are durable, and a failed COMMIT rejects it.
 *
 * Only inside `Store.transaction` (the client's `pipe` state set); bulk loads and everything else
 * run statement by statement as pg sends them.
 */
import pg from 'pg';
import type { StatementNames } from './prepared.js';

/** What a transaction has held back or already sent (null outside Store.transaction). */
export interface PipeState {
  /** BEGIN not sent yet: it goes with the next statement. */
  begin: boolean;
  /**
   * Statements held back to go before the next one, in the same message sequence (`runWithNext`):
   * each runs, and the next one's snapshot is taken after it (each Bind takes its own), as if sent
   * one by one; an error in one skips the rest, the next statement's promise rejects with it.
   */
  held: HeldStatement[];
  /** The next statement is the transaction's last: COMMIT goes with it. */
  commitNext: boolean;
  /** COMMIT has been sent with a statement: nothing more may run in this transaction. */
  ended: boolean;
  /** …and it answered: the transaction has committed. */
  committed: boolean;
  /** Round trips this transaction made, and the text of the first (tests read them: `roundTrips.transactions`). */
  trips: number;
  first: string | null;
}

/** A statement held back to go with the next (its parameters numbers, strings, booleans or null). */
export interface HeldStatement {
  text: string;
  values: readonly (number | string | boolean | null)[];
  /** its name (prepared.ts), set as it is sent */
  name?: string;
}

/** The parts of pg's protocol connection a pipelined query writes with (pg 8: lib/connection.js). */
interface Wire {
  parse(m: { text: string; name?: string; types?: unknown[] }): void;
  bind(m?: Record<string, unknown>): void;
  close(m: { type: 'S'; name: string }): void;
  describe(m: { type: 'P' | 'S'; name?: string }): void;
  execute(m?: { portal?: string; rows?: number }): void;
  sync(): void;
  submittedNamedStatements: Record<string, string>;
}

interface ResultLike {
  command?: string;
}

/** pg's Query as a pipelined query overrides it (pg 8: lib/query.js). */
interface QueryInternals {
  name?: string;
  text: string;
  types?: unknown[];
  portal: string;
  callback?: (err: Error | null, res?: unknown) => void;
  _results: ResultLike | ResultLike[];
  _canceledDueToError: Error | false;
  prepare(connection: Wire): void;
  hasBeenParsed(connection: Wire): boolean;
  handleReadyForQuery(connection: Wire): void;
}
const PgQuery = pg.Query as unknown as new (config: unknown, values?: unknown) => QueryInternals;

/** A statement without parameters, unnamed, with no description asked: its CommandComplete only. */
function bare(wire: Wire, text: string): void {
  wire.parse({ text });
  wire.bind();
  wire.execute();
}

/**
 * A held statement, described (its rows, if any, parse as a result of their own, set aside). A named
 * one not known to be prepared on the connection (`prepared`) is closed and parsed again: closing a
 * statement that does not exist is no error, and a sequence that failed leaves unknown whether its
 * Parse went through.
 */
function held(wire: Wire, h: HeldStatement, prepared: Map<string, string>): void {
  if (h.name === undefined) wire.parse({ text: h.text });
  else if (prepared.get(h.name) !== h.text) {
    wire.close({ type: 'S', name: h.name });
    wire.parse({ text: h.text, name: h.name });
  }
  wire.bind({ statement: h.name ?? '', values: h.values.map((v) => (v === null ? null : String(v))) });
  wire.describe({ type: 'P' });
  wire.execute();
}

/**
 * One statement with BEGIN before it, COMMIT after it, or both, up to one Sync. A named statement
 * not yet prepared on the connection is parsed first, before BEGIN: pg takes the first
 * ParseComplete of a query for its statement's, so its bookkeeping of what the connection has
 * prepared stays right whichever message fails (a Parse outside a transaction block is allowed;
 * BEGIN then opens the block for what follows). An unnamed statement is parsed after BEGIN (BEGIN's
 * own Parse would replace it).
 */
class PipelinedQuery extends PgQuery {
  constructor(
    config: unknown,
    values: unknown,
    private readonly begin: boolean,
    private readonly before: HeldStatement[],
    private readonly commit: boolean,
    private readonly prepared: Map<string, string>,
  ) {
    super(config, values);
  }
  requiresPreparation(): boolean {
    return true; // the extended protocol: several statements up to one Sync
  }
  override prepare(wire: Wire): void {
    if (this.begin || this.before.length > 0) {
      // before any other Parse (see above), whether BEGIN goes too or only held statements
      if (this.name && !this.hasBeenParsed(wire)) {
        wire.parse({ text: this.text, name: this.name, types: this.types });
        wire.submittedNamedStatements[this.name] = this.text; // as pg's prepare records it: it then sends no second Parse
      }
    }
    if (this.begin) bare(wire, 'begin');
    for (const h of this.before) held(wire, h, this.prepared);
    super.prepare(wire);
  }
  /** pg's: Execute, then Sync; here COMMIT between them. */
  _getRows(wire: Wire): void {
    wire.execute({ portal: this.portal });
    if (this.commit) bare(wire, 'commit');
    wire.sync();
  }
  override handleReadyForQuery(wire: Wire): void {
    // the results in order: BEGIN's, the held statements', the statement's, COMMIT's (each ends with its CommandComplete)
    const all = Array.isArray(this._results) ? this._results : [this._results];
    const own = (this.begin ? 1 : 0) + this.before.length;
    const expected = own + 1 + (this.commit ? 1 : 0);
    if (!this._canceledDueToError && (all.length !== expected || (this.commit && all[expected - 1]?.command !== 'COMMIT')))
      this._canceledDueToError = new Error(this.commit ? 'the transaction did not commit' : 'the statement was not answered as sent');
    this._results = all[own];
    super.handleReadyForQuery(wire);
  }
}

/** A settled answer for a statement that was held back (BEGIN) or already sent (COMMIT). */
const answered = (command: string) => Promise.resolve({ command, rowCount: null, oid: null, rows: [], fields: [] });

/** Statements handed to the server by this process's pool connections, one round trip each (a pipelined BEGIN or COMMIT adds none): tests count them. */
export const roundTrips = {
  count: 0,
  /** When a test sets an array here: each transaction's round trips, recorded as it ends (src/store/db.ts). */
  transactions: null as { first: string; trips: number }[] | null,
};

/** A transaction's pipelining state as it starts. */
export const freshPipe = (): PipeState => ({ begin: false, held: [], commitNext: false, ended: false, committed: false, trips: 0, first: null });

export type PipeClient = pg.Client & { pipe: PipeState | null };

/** The pool's Client class: statements named by `names` (when given), and a transaction's BEGIN and COMMIT pipelined. */
export function pipeliningClient(names?: StatementNames): typeof pg.Client {
  class LiaisonClient extends pg.Client {
    pipe: PipeState | null = null;
    /** held statements prepared on this connection: name → text */
    heldPrepared = new Map<string, string>();
  }
  const { query } = pg.Client.prototype as unknown as { query: (this: pg.Client, ...args: unknown[]) => unknown };
  // pg's query has many overloads; the arguments pass through as they came, a config object named
  LiaisonClient.prototype.query = function (this: LiaisonClient, ...args: unknown[]) {
    const [config, values] = args;
    const pipe = this.pipe;
    const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
    const send = (a: unknown[]) => {
      roundTrips.count++;
      if (pipe) {
        pipe.trips++;
        pipe.first ??= String(text);
      }
      return query.apply(this, a);
    };
    if (config === null || typeof config !== 'object' || 'submit' in config || typeof args[args.length - 1] === 'function') {
      // a text, a Submittable (COPY), a callback: as pg runs them, never before a held BEGIN nor after COMMIT
      if (pipe && (pipe.begin || pipe.held.length > 0 || pipe.ended))
        throw new Error(`a statement that cannot go with the transaction's BEGIN or after its COMMIT: ${String(text).slice(0, 60)}`);
      return send(args);
    }
    const c = config as pg.QueryConfig;
    // pg binds the second argument's values when there is one
    const params = Array.isArray(values) ? values : c.values;
    if (names && typeof c.text === 'string' && c.name === undefined && params !== undefined && params.length > 0) {
      const name = names.nameFor(c.text);
      if (name !== undefined) args[0] = { ...c, name };
    }
    if (pipe === null) return send(args);
    if (text === 'commit' || text === 'rollback') {
      pipe.commitNext = false;
      const unsent = pipe.held.length;
      pipe.held = []; // held statements nothing followed: a rollback drops them, a commit is refused
      if (text === 'commit' && unsent > 0) throw new Error('a statement held for the next (runWithNext) with none after it: the transaction is not committed');
      // drizzle's own COMMIT (or its ROLLBACK, had the caller failed after the last statement): the transaction has ended
      if (pipe.committed) return answered(text.toUpperCase());
      if (!pipe.begin) return send(args);
      // nothing was sent: there is no transaction to end
      pipe.begin = false;
      return answered(text.toUpperCase());
    }
    if (pipe.ended) throw new Error(`a statement after the transaction's last (its COMMIT is sent): ${c.text.slice(0, 60)}`);
    if (text === 'begin') {
      pipe.begin = true;
      return answered('BEGIN');
    }
    if (!pipe.begin && !pipe.commitNext && pipe.held.length === 0) return send(args);
    const commit = pipe.commitNext;
    const before = pipe.held;
    if (names)
      for (const h of before) {
        // a name of their own (the same text run by drizzle is another statement, in pg's bookkeeping)
        const name = names.nameFor(h.text);
        h.name = name === undefined ? undefined : `h${name}`;
      }
    const q = new PipelinedQuery(args[0], params, pipe.begin, before, commit, this.heldPrepared);
    pipe.begin = pipe.commitNext = false;
    pipe.held = [];
    if (commit) pipe.ended = true;
    return new Promise((resolve, reject) => {
      q.callback = (err, res) => {
        // every message before the Sync went through, or one failed: whether a Parse did is unknown then
        for (const h of before) {
          if (h.name === undefined) continue;
          if (err) this.heldPrepared.delete(h.name);
          else this.heldPrepared.set(h.name, h.text);
        }
        if (err) return reject(err);
        if (commit) pipe.committed = true;
        resolve(res);
      };
      send([q]);
    });
  } as typeof pg.Client.prototype.query;
  return LiaisonClient;
}
