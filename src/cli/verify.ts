/**
 * `liaison verify --url <instance> [--url …] [--token T] [--json]`: asks each instance to compare its
 * read model with the tables (GET /admin/read-model/verify, the operator token) and prints what it
 * answered. Exit status: 0 when no instance reports a difference, 1 when one does, 2 when one could
 * not be checked (unreachable, token refused, not a Liaison instance).
 */
import type { ReadModelReport } from '../contract/index.js';
import { READ_MODEL_KINDS } from '../contract/index.js';

export const VERIFY_PATH = '/admin/read-model/verify';

export type VerifyOutcome = { ok: true; report: ReadModelReport } | { ok: false; error: string };

/** One instance's report, or why there is none. */
export async function fetchReport(url: string, token: string | undefined, timeoutMs = 300_000): Promise<VerifyOutcome> {
  let res: Response;
  try {
    res = await fetch(new URL(VERIFY_PATH, url), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, error: `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}` };
  }
  const text = await res.text();
  if (res.status === 401) return { ok: false, error: `${url} refused the operator token (401): give --token or LIAISON_ADMIN_TOKEN, as the instance has it` };
  if (res.status !== 200) return { ok: false, error: `${url} answered ${res.status}: ${text.slice(0, 300)}` };
  try {
    const report = JSON.parse(text) as ReadModelReport;
    if (!report.kinds || !Array.isArray(report.differences)) throw new Error('not a report');
    return { ok: true, report };
  } catch {
    return { ok: false, error: `${url} did not answer a read-model report: ${text.slice(0, 300)}` };
  }
}

const show = (v: unknown) => JSON.stringify(v);

/** The report as an operator reads it. */
export function formatReport(url: string, r: ReadModelReport): string {
  const lines = [`read model of ${url}${r.instance ? ` (instance ${r.instance})` : ''}, checked at ${r.at} in ${r.ms} ms`];
  const w = Math.max(...READ_MODEL_KINDS.map((k) => k.length));
  for (const k of READ_MODEL_KINDS) {
    const c = r.kinds[k];
    lines.push(
      `  ${k.padEnd(w)}  ${String(c.checked).padStart(7)} checked  ${String(c.differing).padStart(5)} differing  ${String(c.skipped).padStart(5)} skipped (changed meanwhile)`,
    );
  }
  const entries = READ_MODEL_KINDS.reduce((n, k) => n + r.kinds[k].differing, 0);
  if (entries === 0) lines.push('no differences');
  else {
    lines.push(
      `${entries} ${entries === 1 ? 'entry differs' : 'entries differ'} from the tables${r.truncated ? ` (the first ${r.differences.length} fields listed)` : ''}:`,
    );
    for (const d of r.differences) {
      const who = d.memberId === null ? (d.handle ?? '') : `${d.memberId}${d.handle ? ` @${d.handle}` : ''}`;
      lines.push(`  ${d.kind} ${who}  ${d.field}: cached ${show(d.cached)}, table ${show(d.table)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Whether a report lists a difference. */
export function differs(r: ReadModelReport): boolean {
  return READ_MODEL_KINDS.some((k) => r.kinds[k].differing > 0);
}
