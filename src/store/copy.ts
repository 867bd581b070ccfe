/**
 * COPY … FROM STDIN for node-postgres without another package: a submittable query (the interface
 * pg's Client drives for its own Query) that answers the server's CopyInResponse with CopyData
 * messages from a generator, waiting for the socket to drain, then CopyDone. PGlite loads the same
 * text from a Blob (`COPY … FROM '/dev/blob'`, see db.ts). Rows use COPY's text format.
 */
import { once } from 'node:events';

/** One field in COPY's text format: NULL as \N; backslash, tab, newline and carriage return escaped. */
export function copyField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

/** The parts of pg's Connection a COPY uses (pg/lib/connection.js). */
interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(msg: string): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean; destroyed?: boolean };
}

/** `client.query(new CopyIn(text, chunks))`: resolves with the rows copied once the server has answered. */
export class CopyIn {
  private error: Error | null = null;
  private finished = false;
  private rows = 0;
  readonly done: Promise<number>;
  private settle!: { resolve: (n: number) => void; reject: (e: Error) => void };

  constructor(
    private readonly text: string,
    private readonly chunks: Iterable<string>,
  ) {
    this.done = new Promise<number>((resolve, reject) => (this.settle = { resolve, reject }));
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    void this.pump(connection);
  }

  private async pump(connection: PgConnection): Promise<void> {
    try {
      for (const chunk of this.chunks) {
        if (this.error || this.finished) return; // the server refused: it ignores what is still in flight
        if (chunk.length === 0) continue;
        connection.sendCopyFromChunk(Buffer.from(chunk, 'utf8'));
        if (connection.stream.writableNeedDrain) await once(connection.stream, 'drain');
      }
      if (!this.error && !this.finished) connection.endCopyFrom();
    } catch (e) {
      // the generator threw: the server rolls the COPY back and answers with an error
      this.error = e instanceof Error ? e : new Error(String(e));
      if (!connection.stream.destroyed) connection.sendCopyFail(this.error.message);
    }
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rows = Number(m[1]);
  }

  handleError(err: Error): void {
    if (!this.error) this.error = err;
    // a socket that died never sends ReadyForQuery
    if (this.finished) return;
    this.finished = true;
    this.settle.reject(this.error);
  }

  handleReadyForQuery(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.error) this.settle.reject(this.error);
    else this.settle.resolve(this.rows);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}
