/** Finding people (DOMAIN.md 10, API.md GET /v1/search/members). */
import { sql } from 'drizzle-orm';
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
    await h.inst.store.db.execute(
      sql`insert into members (handle, kind, name, email) select 'charlie' || lpad(g::text, 5, '0'), 'person', 'Charlie', 'charlie' || g || '@x.test' from generate_series(0, 1100) g`,
    );
    const r = await find('charlie01002');
    expect(handles(r)[0]).toBe('charlie01002');
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
