/** Finding people (DOMAIN.md 10, API.md GET /v1/search/members). */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { insertMembers } from '../../src/store/bulk.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, settings, type User } from '../helpers/messaging.js';

describe(`search (${storageKind})`, () => {
  let h: Harness;
  let me: User;
  const people: Record<string, User> = {};
  beforeAll(async () => {
    h = await harness();
    me = await signUp(h, 'searcher');
    const mk = async (handle: string, name: string, headline: string) => (people[handle] = await signUp(h, handle, { name, headline }));
    await mk('ann_k', 'Ann Kowalski', 'Search engineer at Acme');
    await mk('bob_s', 'Bob Smith', 'Engineer at Globex');
    await mk('cid_s', 'Cid Smyth', 'Engineering manager at Acme');
    await mk('dee_j', 'Dee Johnson', 'Designer');
    await mk('eve_x', 'Eve Stone', 'Staff engineer at Acme');
    await connect(h, me, people.dee_j!);
    await connect(h, people.dee_j!, people.cid_s!); // cid: 2nd degree
  });
  afterAll(async () => {
    await h?.close();
  });
  const find = async (q: string, extra = '') => {
    const r = await h.call('GET', `/v1/search/members?q=${encodeURIComponent(q)}${extra}`, { token: me.token });
    expect(r.status, r.text).toBe(200);
    return r.body as { items: { member: { handle: string; headline: string }; degree: number | null }[]; nextCursor: string | null };
  };
  const handles = (r: Awaited<ReturnType<typeof find>>) => r.items.map((i) => i.member.handle);

  it('"engineer at Acme" finds headline words; ranked by degree, then match', async () => {
    const r = await find('engineer at acme');
    // Cid ("Engineering manager at Acme": "engineer" starts "engineering") is 2nd degree: first
    expect(handles(r)).toEqual(['cid_s', 'ann_k', 'eve_x']);
    expect(r.items.map((i) => i.degree)).toEqual([2, null, null]);
  });

  it('a misspelt surname finds the person (one letter off; two for long words)', async () => {
    expect(handles(await find('smith'))).toEqual(['cid_s', 'bob_s']); // Smyth (2nd degree) before Smith (out of network)
    expect(handles(await find('kowalsky'))).toEqual(['ann_k']);
    expect(handles(await find('jonson'))).toEqual(['dee_j']);
    expect(handles(await find('nobodyhere'))).toEqual([]);
  });

  it('a headline is matched only for viewers who may see it', async () => {
    await settings(h, people.eve_x!, { profileVisibility: 'connections' });
    expect(handles(await find('staff'))).toEqual([]);
    const byName = await find('eve stone');
    expect(byName.items[0]!.member.headline).toBe('');
    await settings(h, people.eve_x!, { profileVisibility: 'everyone' });
    expect(handles(await find('staff'))).toEqual(['eve_x']);
  });

  it('the degree filter and stable cursors', async () => {
    expect(handles(await find('s', '&degree=2'))).toEqual(['cid_s']);
    const first = await find('a', '&limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const rest = await find('a', `&limit=100&cursor=${first.nextCursor}`);
    const all = await find('a', '&limit=100');
    expect([...handles(first), ...handles(rest)]).toEqual(handles(all));
  });

  it('an exact handle is found behind more than 1,000 look-alikes (model finding 3)', async () => {
    await insertMembers(
      h.inst.store.db,
      Array.from({ length: 1101 }, (_, g) => ({
        handle: 'charlie' + String(g).padStart(5, '0'),
        kind: 'person' as const,
        name: 'Charlie',
        headline: '',
        email: `charlie${g}@x.test`,
      })),
    );
    const r = await find('charlie01002');
    expect(handles(r)[0]).toBe('charlie01002');
  });

  it('2nd- and 3rd-degree matches rank before 1,001 better out-of-network matches, and the degree filter finds them (a member)', async () => {
    const zed = await signUp(h, 'second_z', { name: 'Zedekiah Second' }); // "zed" by prefix only: the fillers' word is "zed" itself
    await connect(h, people.dee_j!, zed); // 2nd degree to the searcher
    await insertMembers(
      h.inst.store.db,
      Array.from({ length: 1001 }, (_, g) => ({ handle: `zfill${g}`, kind: 'person' as const, name: 'Zed Filler', headline: '', email: `zfill${g}@x.test` })),
    );
    const r = await find('zed', '&limit=3');
    expect(handles(r)[0]).toBe(zed.handle);
    expect(r.items[0].degree).toBe(2);
    expect(handles(await find('zed', '&degree=2'))).toEqual([zed.handle]);
    expect(handles(await find('zed', '&degree=1'))).toEqual([]);
    expect(handles(await find('zed', '&degree=1,2'))).toEqual([zed.handle]);
    expect(handles(await find('zed', '&degree=2,3'))).toEqual([zed.handle]);
    // a 3rd-degree match: found by degree=3 (the query leaves the 1st and 2nd degree out), not by 1,2
    const third = await signUp(h, 'third_z', { name: 'Zedd Third' });
    await connect(h, zed, third);
    expect(handles(await find('zed', '&degree=3'))).toEqual([third.handle]);
    expect(handles(await find('zed', '&degree=1,2'))).toEqual([zed.handle]);
    expect(handles(await find('zed', '&limit=2'))).toEqual([zed.handle, third.handle]);
  });

  it('more than eight different words is 400 naming q, not a query cut to eight', async () => {
    const nine = 'aa bb cc dd ee ff gg hh qqqqqqqqqqqq';
    const r = await h.call('GET', `/v1/search/members?q=${encodeURIComponent(nine)}`, { token: me.token });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    expect(r.body.error.details.field).toBe('q');
    // eight words, or nine with one repeated, are searched as ever
    expect((await find('aa bb cc dd ee ff gg hh')).items).toEqual([]);
    expect((await find('aa bb cc dd ee ff gg hh hh')).items).toEqual([]);
  });

  it('a one-letter typo in a short word, and a word the database lower-cases otherwise (final sigma)', async () => {
    expect(handles(await find('bab'))).toContain('bob_s'); // Bob, one letter off
    const greek = await signUp(h, 'sisyphus', { name: 'Σίσυφος Αιολίδης' });
    // the index keeps "σίσυφοσ" (PostgreSQL's lower), the policy "σίσυφος": found as a typo, ranked as the word
    expect(handles(await find('σίσυφος'))).toEqual([greek.handle]);
    expect(handles(await find('ΣΊΣΥΦΟΣ'))).toEqual([greek.handle]);
  });

  it('the words follow every write: name and headline edits, deactivate, reactivate, close', async () => {
    const u = await signUp(h, 'wanda_w', { name: 'Wanda Quixotic', headline: 'Zookeeper at Nowhere' });
    expect(handles(await find('quixotic'))).toEqual(['wanda_w']);
    expect(handles(await find('zookeeper'))).toEqual(['wanda_w']);
    // an edit of the profile: the words follow in the same transaction (src/store/search-words.ts)
    expect((await h.call('PATCH', '/v1/me/profile', { token: u.token, body: { name: 'Wanda Xylophonist', headline: 'Beekeeper' } })).status).toBe(200);
    expect(handles(await find('quixotic'))).toEqual([]);
    expect(handles(await find('zookeeper'))).toEqual([]);
    expect(handles(await find('xylophonist'))).toEqual(['wanda_w']);
    expect(handles(await find('beekeeper'))).toEqual(['wanda_w']);
    expect((await h.call('POST', '/v1/me/deactivate', { token: u.token })).status).toBe(200);
    expect(handles(await find('xylophonist'))).toEqual([]);
    expect((await h.call('POST', '/v1/me/reactivate', { token: u.token })).status).toBe(200);
    expect(handles(await find('xylophonist'))).toEqual(['wanda_w']);
    expect((await h.call('POST', '/v1/me/close', { token: u.token })).status).toBe(200);
    expect(handles(await find('xylophonist'))).toEqual([]);
    expect(handles(await find('wanda_w'))).toEqual([]);
  });

  it('members that were there before migration 0008 are found: its backfill rebuilds the words', async () => {
    const db = h.inst.store.db;
    const before = [handles(await find('engineer acme')), handles(await find('smith')), handles(await find('kowalsky'))];
    const rows = async () => Number((await db.execute(sql`select count(*) as n from search_words`)).rows[0]!.n);
    const count = await rows();
    await db.execute(sql`truncate search_words, search_vocabulary`);
    expect(handles(await find('smith'))).toEqual([]);
    const migration = readFileSync(new URL('../../drizzle/0008_search_words.sql', import.meta.url), 'utf8');
    const backfill = migration.split('--> statement-breakpoint').filter((s) => /^\s*(--[^\n]*\n\s*)*INSERT INTO search_/.test(s));
    expect(backfill).toHaveLength(2);
    for (const stmt of backfill) await db.execute(sql.raw(stmt));
    expect(await rows()).toBe(count);
    expect([handles(await find('engineer acme')), handles(await find('smith')), handles(await find('kowalsky'))]).toEqual(before);
  });

  it('odd input never answers 500: emoji, combining marks, LIKE and regex characters, quotes, NUL, long expansions', async () => {
    // a name whose NFKC form is far longer than any btree entry may hold (U+FDFA expands to 18 letters)
    const long = await signUp(h, 'long_name', { name: '\uFDFA'.repeat(100) });
    const odd = [
      '💥',
      '👩‍💻 dev',
      'e\u0301',
      '\u0301\u0301',
      '%',
      '_',
      '%_%',
      '\\',
      '\\%',
      '"',
      "'",
      "''; drop table members; --",
      'a\u0000b',
      '\u0000',
      '\u202E',
      'Ωμέγα',
      '中文',
      'नमस्ते',
      '\uFDFA'.repeat(200),
      'x'.repeat(200),
      '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      '\uD83D',
      '.*',
      '[a-z]+',
      '(?:',
    ];
    for (const q of odd) {
      // a lone surrogate has no UTF-8: sent as the bytes a careless client would send
      const enc = /^[\uD800-\uDFFF]$/.test(q) ? '%ED%A0%BD%FF' : encodeURIComponent(q);
      const r = await h.call('GET', `/v1/search/members?q=${enc}&limit=5`, { token: me.token });
      // a NUL or a lone surrogate may be refused as a bad string (400); everything else is a search
      expect([200, 400], `${JSON.stringify(q)}: ${r.text}`).toContain(r.status);
      if (!/[\u0000\uD800-\uDFFF]/.test(q.replace(/\p{Extended_Pictographic}|\u200D/gu, ''))) expect(r.status, JSON.stringify(q)).toBe(200);
    }
    expect(handles(await find('\uFDFA'.repeat(3)))).toContain(long.handle);
  });

  it('bad input: 1 to 200 characters, any Unicode, bad cursors are 400', async () => {
    expect((await h.call('GET', `/v1/search/members?q=${'a'.repeat(201)}`, { token: me.token })).status).toBe(400);
    expect((await h.call('GET', '/v1/search/members?q=', { token: me.token })).status).toBe(400);
    for (const q of ['💥', '\u202E', 'a\u0000b'.replace('\u0000', ''), '%', '\\', "'; drop table members; --", 'Ωμέγα', '中文']) {
      const r = await h.call('GET', `/v1/search/members?q=${encodeURIComponent(q)}`, { token: me.token });
      expect(r.status, q).toBe(200);
    }
    expect((await h.call('GET', '/v1/search/members?q=a&cursor=2147483648', { token: me.token })).status).toBe(400);
    expect((await h.call('GET', '/v1/search/members?q=a&cursor=9.1.1', { token: me.token })).status).toBe(400);
  });
});
