import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv, ImportError } from '../../src/cli/import.js';
import { parseCsv } from '../../src/cli/csv.js';
import { seed, SEED_PASSWORD } from '../../src/cli/seed.js';
import { generateEdges } from '../../src/graph/generate.js';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';

describe('graph generator', () => {
  it('is deterministic, loop-free and duplicate-free, near the requested average degree', () => {
    const a = generateEdges(2000, 20, 7);
    expect(generateEdges(2000, 20, 7)).toEqual(a);
    const keys = new Set<number>();
    for (let i = 0; i < a.length; i += 2) {
      expect(a[i]).toBeLessThan(a[i + 1]!);
      keys.add(a[i]! * 2000 + a[i + 1]!);
    }
    expect(keys.size).toBe(a.length / 2);
    const avg = a.length / 2000;
    expect(avg).toBeGreaterThan(19.5);
    expect(avg).toBeLessThanOrEqual(20);
  });
});

describe('CSV reader', () => {
  it('reads quoted fields, doubled quotes, CRLF and reports line numbers', () => {
    const rows = [...parseCsv('a,b\r\n"x, y","say ""hi"""\n\nlast,"multi\nline"\n')];
    expect(rows).toEqual([
      [1, ['a', 'b']],
      [2, ['x, y', 'say "hi"']],
      [4, ['last', 'multi\nline']],
    ]);
    expect(() => [...parseCsv('a\n"open')]).toThrow(/line 2/);
  });
});

describe(`seed (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ persistent: true });
  });
  afterAll(async () => h?.close());

  it('a seeded network of 10k members is queryable through the API', async () => {
    const r = await seed(h.inst.store, { members: 10_000, avgDegree: 6, seed: 3, prefix: 'sd' });
    expect(r.members).toBe(10_000);
    expect(r.connections).toBeGreaterThan(25_000);
    await h.restart(); // the graph index loads at start
    const login = await h.call('POST', '/v1/sessions', { body: { login: 'sd0', password: SEED_PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.token;
    const conns = await h.call('GET', '/v1/connections?limit=100', { token });
    expect(conns.status).toBe(200);
    expect(conns.body.items.length).toBeGreaterThan(0);
    const friend = conns.body.items[0].handle;
    const p = await h.call('GET', `/v1/members/${friend}`, { token });
    expect(p.body.degree).toBe(1);
    const sugg = await h.call('GET', '/v1/suggestions', { token });
    expect(sugg.body.items.length).toBeGreaterThan(0);
    const second = sugg.body.items[0];
    const p2 = await h.call('GET', `/v1/members/${second.member.handle}`, { token });
    expect(p2.body.degree).toBe(2);
    expect(p2.body.mutualConnections.count).toBe(second.mutualConnections);
    const s = await h.call('GET', '/v1/search/members?q=sd99&degree=1,2,3', { token });
    expect(s.status).toBe(200);
    for (const it of s.body.items) expect([1, 2, 3]).toContain(it.degree);
  }, 240_000);
});

describe(`import (${storageKind})`, () => {
  let h: Harness;
  const dir = mkdtempSync(join(tmpdir(), 'liaison-import-'));
  beforeAll(async () => {
    h = await harness({ persistent: true });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reports every bad line with its reason and imports nothing', async () => {
    await signUp(h, 'taken_one');
    const m = file(
      'members.csv',
      'handle,name,email,tier\nimp_a,Ann,ann@example.test,free\nbad handle,Bob,,free\nimp_c,,c@example.test,gold\nIMP_A,Dup,,\ntaken_one,T,,\n',
    );
    const c = file('connections.csv', 'handle_a,handle_b\nimp_a,imp_c\nimp_a,imp_a\nimp_a,ghost\n');
    const err = await importCsv(h.inst.store, m, c).catch((e) => e);
    expect(err).toBeInstanceOf(ImportError);
    const msgs = (err as ImportError).problems.map((p) => `${p.file}:${p.line}`);
    expect(msgs).toEqual(
      expect.arrayContaining(['members.csv:3', 'members.csv:4', 'members.csv:5', 'members.csv:6', 'connections.csv:3', 'connections.csv:4']),
    );
    expect((err as ImportError).message).toMatch(/members\.csv:4: .*tier "gold"/);
    expect((err as ImportError).message).toMatch(/connections\.csv:4: handle_b "ghost"/);
    const probe = await h.call('GET', '/v1/search/members?q=imp_', { token: (await signUp(h)).token });
    expect(probe.body.items).toEqual([]);
  });

  it('imports valid files: members, connections (both follow), visible after a restart', async () => {
    const existing = await signUp(h, 'old_member');
    const m = file('m2.csv', 'handle,name,headline,tier,tier_until\nimp_x,"Xavier, Jr.",Engineer,career,2030-01-01T00:00:00Z\nimp_y,Yvonne,,,\n');
    const c = file('c2.csv', 'handle_a,handle_b\nimp_x,imp_y\nimp_y,old_member\n');
    const r = await importCsv(h.inst.store, m, c);
    expect(r).toEqual({ members: 2, connections: 2 });
    await h.restart();
    const p = await h.call('GET', '/v1/members/imp_y', { token: existing.token });
    expect(p.body.degree).toBe(1);
    const x = await h.call('GET', '/v1/members/imp_x', { token: existing.token });
    expect(x.body.degree).toBe(2);
    expect(x.body.member).toMatchObject({ name: 'Xavier, Jr.', tier: 'career' });
  });
});
