/**
 * `liaison import members.csv connections.csv`: validates both files completely first (every
 * problem is reported with its file and line), then writes everything through COPY in one
 * transaction (src/store/load.ts), so a bad file imports nothing. Formats: docs/import.md.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { sql } from 'drizzle-orm';
import { copyField } from '../store/copy.js';
import type { Store } from '../store/db.js';
import { run, textArray, type NewMemberRow } from '../store/bulk.js';
import { beginLoad, copyLines } from '../store/load.js';
import { CsvError, parseCsv } from './csv.js';

const HANDLE = /^[A-Za-z0-9_-]{3,30}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TIERS = new Set(['free', 'career', 'business', 'sales_navigator']);

export interface ImportProblem {
  file: string;
  line: number;
  message: string;
}

export class ImportError extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
  }
}

interface MemberLine extends NewMemberRow {
  tier: string;
  until: Date | null;
}

/** A stored member whose handle or e-mail (both lower-cased) a line of the file would take (a type, so a raw row converts to it). */
type TakenRow = { h: string; e: string | null };

function header(fields: string[], required: string[], optional: string[], file: string, problems: ImportProblem[]) {
  const cols = fields.map((f) => f.trim().toLowerCase());
  for (const r of required) if (!cols.includes(r)) problems.push({ file, line: 1, message: `missing column "${r}" in the header` });
  for (const c of cols) if (![...required, ...optional].includes(c)) problems.push({ file, line: 1, message: `unknown column "${c}"` });
  return (row: string[], name: string) => {
    const i = cols.indexOf(name);
    return i < 0 ? '' : (row[i] ?? '').trim();
  };
}

function rows(text: string, file: string, problems: ImportProblem[]): [number, string[]][] {
  try {
    return [...parseCsv(text)];
  } catch (e) {
    if (e instanceof CsvError) problems.push({ file, line: e.line, message: e.message.replace(/^line \d+: /, '') });
    else throw e;
    return [];
  }
}

export async function importCsv(store: Store, membersPath: string, connectionsPath: string, opts: { progress?: boolean } = {}) {
  const problems: ImportProblem[] = [];
  const mFile = basename(membersPath);
  const cFile = basename(connectionsPath);
  const mRows = rows(readFileSync(membersPath, 'utf8'), mFile, problems);
  const cRows = rows(readFileSync(connectionsPath, 'utf8'), cFile, problems);
  if (problems.length) throw new ImportError(problems);
  if (mRows.length === 0) throw new ImportError([{ file: mFile, line: 1, message: 'empty file: a header line is required' }]);
  if (cRows.length === 0) throw new ImportError([{ file: cFile, line: 1, message: 'empty file: a header line is required' }]);

  const mcol = header(mRows[0][1], ['handle', 'name'], ['email', 'headline', 'tier', 'tier_until'], mFile, problems);
  const members: MemberLine[] = [];
  const seenHandles = new Map<string, number>();
  const seenEmails = new Map<string, number>();
  for (const [line, f] of mRows.slice(1)) {
    const handle = mcol(f, 'handle');
    const name = mcol(f, 'name');
    const email = mcol(f, 'email');
    const tier = mcol(f, 'tier') || 'free';
    const untilText = mcol(f, 'tier_until');
    const bad = (message: string) => problems.push({ file: mFile, line, message });
    if (!HANDLE.test(handle)) bad(`handle "${handle}" must be 3-30 characters of a-z 0-9 _ -`);
    else if (seenHandles.has(handle.toLowerCase())) bad(`handle "${handle}" repeats line ${seenHandles.get(handle.toLowerCase())}`);
    else seenHandles.set(handle.toLowerCase(), line);
    if (!name || name.length > 100) bad('name must be 1-100 characters');
    if (email && (!EMAIL.test(email) || email.length > 254)) bad(`e-mail "${email}" is not well-formed`);
    else if (email && seenEmails.has(email.toLowerCase())) bad(`e-mail "${email}" repeats line ${seenEmails.get(email.toLowerCase())}`);
    else if (email) seenEmails.set(email.toLowerCase(), line);
    if (mcol(f, 'headline').length > 220) bad('headline longer than 220 characters');
    if (!TIERS.has(tier)) bad(`tier "${tier}" is not one of free, career, business, sales_navigator`);
    let until: Date | null = null;
    if (untilText) {
      until = new Date(untilText);
      if (Number.isNaN(until.getTime())) bad(`tier_until "${untilText}" is not an ISO 8601 date`);
    }
    members.push({ handle, name, email: email || null, headline: mcol(f, 'headline'), kind: 'person', tier, until });
  }

  // Handles already stored count as known for connections, and clash for new members.
  const existing = new Map<string, number>();
  const found = (await run(
    store.db,
    sql`select lower(handle) as h, lower(email) as e from members where lower(handle) = any(${textArray([...seenHandles.keys()])}::text[]) or lower(email) = any(${textArray([...seenEmails.keys()])}::text[])`,
  )) as TakenRow[];
  for (const r of found) {
    if (seenHandles.has(r.h)) problems.push({ file: mFile, line: seenHandles.get(r.h)!, message: `handle "${r.h}" is already taken` });
    if (r.e && seenEmails.has(r.e)) problems.push({ file: mFile, line: seenEmails.get(r.e)!, message: `e-mail "${r.e}" is already registered` });
  }

  const ccol = header(cRows[0][1], ['handle_a', 'handle_b'], [], cFile, problems);
  const pairs: [string, string][] = [];
  const unknown = new Set<string>();
  for (const [line, f] of cRows.slice(1)) {
    const a = ccol(f, 'handle_a').toLowerCase();
    const b = ccol(f, 'handle_b').toLowerCase();
    if (!a || !b) problems.push({ file: cFile, line, message: 'both handle_a and handle_b are required' });
    else if (a === b) problems.push({ file: cFile, line, message: `"${a}" cannot be connected to itself` });
    else {
      pairs.push([a, b]);
      for (const h of [a, b]) if (!seenHandles.has(h)) unknown.add(h);
    }
  }
  if (unknown.size) {
    const known = await run(
      store.db,
      sql`select id, lower(handle) as h, kind, status from members where lower(handle) = any(${textArray([...unknown])}::text[])`,
    );
    for (const r of known) if (r.kind === 'person' && r.status === 'active') existing.set(String(r.h), Number(r.id));
    cRows.slice(1).forEach(([line, f]) => {
      for (const col of ['handle_a', 'handle_b']) {
        const h = ccol(f, col).toLowerCase();
        if (h && !seenHandles.has(h) && !existing.has(h))
          problems.push({ file: cFile, line, message: `${col} "${h}" is neither in ${mFile} nor an active member` });
      }
    });
  }
  if (problems.length) throw new ImportError(problems.sort((x, y) => (x.file === y.file ? x.line - y.line : x.file < y.file ? -1 : 1)));

  // A pair given twice (either way round) is one connection.
  const seenPairs = new Set<string>();
  const unique: [string, string][] = [];
  for (const [a, b] of pairs) {
    const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
    if (seenPairs.has(key)) continue;
    seenPairs.add(key);
    unique.push([a, b]);
  }

  const written = 5 * members.length + 3 * unique.length;
  const progress = opts.progress
    ? new SingleBar({ format: 'import       [{bar}] {percentage}% | {value}/{total} rows', stream: process.stderr }, Presets.shades_classic)
    : null;
  progress?.start(written, 0);
  let base = 0;
  const tick = (k: number) => progress?.update(base + k);
  const result = await store.bulk(async (s) => {
    const load = await beginLoad(s, [
      'members',
      'member_handles',
      'member_emails',
      'settings',
      'subscriptions',
      'connections',
      'follows',
      'search_words',
      'search_vocabulary',
    ]);
    const got = await load.memberIds(members.length);
    const ids = new Map(existing);
    members.forEach((m, i) => ids.set(m.handle.toLowerCase(), got[i]));
    const copy = (table: Parameters<typeof load.freeze>[0], columns: string[], rows: number, line: (i: number) => string) =>
      s.copyIn(table, columns, copyLines(rows, line, tick), { freeze: load.freeze(table) }).then(() => (base += rows));

    await copy('members', ['id', 'handle', 'kind', 'name', 'headline', 'email'], members.length, (i) => {
      const m = members[i];
      return `${got[i]}\t${copyField(m.handle)}\tperson\t${copyField(m.name)}\t${copyField(m.headline)}\t${copyField(m.email)}`;
    });
    await copy('member_handles', ['handle', 'member_id'], members.length, (i) => `${copyField(members[i].handle.toLowerCase())}\t${got[i]}`);
    const withEmail = members.flatMap((m, i) => (m.email === null ? [] : [i]));
    await copy(
      'member_emails',
      ['email', 'member_id'],
      withEmail.length,
      (k) => `${copyField(members[withEmail[k]].email!.toLowerCase())}\t${got[withEmail[k]]}`,
    );
    base += members.length - withEmail.length;
    await copy('settings', ['member_id'], members.length, (i) => `${got[i]}`);
    await copy('subscriptions', ['member_id', 'tier', 'until'], members.length, (i) => {
      const m = members[i];
      return `${got[i]}\t${m.tier}\t${m.until ? m.until.toISOString() : '\\N'}`;
    });

    const lo = new Float64Array(unique.length);
    const hi = new Float64Array(unique.length);
    unique.forEach(([a, b], k) => {
      const x = ids.get(a)!;
      const y = ids.get(b)!;
      lo[k] = Math.min(x, y);
      hi[k] = Math.max(x, y);
    });
    if (load.fresh) {
      // every member is new: no pair can be stored already
      await copy('connections', ['a', 'b'], unique.length, (k) => `${lo[k]}\t${hi[k]}`);
      await copy('follows', ['follower', 'followee'], 2 * unique.length, (k) =>
        k < unique.length ? `${lo[k]}\t${hi[k]}` : `${hi[k - unique.length]}\t${lo[k - unique.length]}`,
      );
    } else {
      // a pair of members already stored may be connected (or following) already: kept once
      await s.query(`create temporary table liaison_import_pairs (a bigint not null, b bigint not null) on commit drop`);
      await s.copyIn(
        'liaison_import_pairs',
        ['a', 'b'],
        copyLines(unique.length, (k) => `${lo[k]}\t${hi[k]}`, tick),
      );
      base += unique.length;
      await s.query(`insert into connections (a, b) select a, b from liaison_import_pairs on conflict do nothing`);
      await s.query(
        `insert into follows (follower, followee) select a, b from liaison_import_pairs union all select b, a from liaison_import_pairs on conflict do nothing`,
      );
      base += 2 * unique.length;
      tick(0);
    }
    await load.finish();
    return { members: members.length, connections: pairs.length };
  });
  progress?.stop();
  return result;
}
