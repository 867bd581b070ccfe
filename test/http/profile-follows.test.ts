/** API.md: PATCH /v1/me/profile and GET /v1/follows?direction=following|followers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { profileOf } from '../helpers/network.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
}, 120_000);
afterAll(async () => h?.close());

const patch = (token: string, body: unknown) => h.call('PATCH', '/v1/me/profile', { token, body });
const handles = (r: { body: { items: { handle: string }[] } }) => r.body.items.map((m) => m.handle);

describe(`PATCH /v1/me/profile (${storageKind})`, () => {
  it('changes name, headline and about; others see the change at once; search finds the new words', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    expect((await profileOf(h, b, a.handle)).body.member.headline).toBe('');
    const r = await patch(a.token, { name: 'Ada Quillfeather', headline: 'Staff engineer at Zyxcorp', about: 'I build graphs.\nAnd queues.' });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      member: expect.objectContaining({ handle: a.handle, name: 'Ada Quillfeather', headline: 'Staff engineer at Zyxcorp' }),
      about: 'I build graphs.\nAnd queues.',
    });
    const seen = await profileOf(h, b, a.handle);
    expect(seen.body.member).toMatchObject({ name: 'Ada Quillfeather', headline: 'Staff engineer at Zyxcorp' });
    // about is part of the full profile (a connection's view, or one's own)
    expect((await profileOf(h, a, a.handle)).body.about).toBe('I build graphs.\nAnd queues.');
    const found = await h.call('GET', '/v1/search/members?q=zyxcorp', { token: b.token });
    expect(found.body.items.map((i: { member: { handle: string } }) => i.member.handle)).toContain(a.handle);
    // one field alone leaves the others as they are
    const only = await patch(a.token, { headline: '' });
    expect(only.body.member).toMatchObject({ name: 'Ada Quillfeather', headline: '' });
    expect(only.body.about).toBe('I build graphs.\nAnd queues.');
  });

  it('bidi controls are removed; a name must show a letter or digit', async () => {
    const a = await signUp(h);
    const r = await patch(a.token, { name: 'Eve\u202E Mallory', headline: '\u2066CTO\u2069' });
    expect(r.status).toBe(200);
    expect(r.body.member).toMatchObject({ name: 'Eve Mallory', headline: 'CTO' });
    const blank = await patch(a.token, { name: '\u200F \u202E ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'name' } });
  });

  it('bad input: 400 in the error shape, nothing changed', async () => {
    const a = await signUp(h, undefined, { headline: 'Before' });
    for (const body of [
      {},
      { headline: 'x'.repeat(221) },
      { about: 'x'.repeat(2601) },
      { name: '' },
      { name: 'x'.repeat(101) },
      { handle: 'other' },
      { name: 42 },
    ]) {
      const r = await patch(a.token, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.member.headline).toBe('Before');
    expect((await h.call('PATCH', '/v1/me/profile', { body: { name: 'Nobody' } })).status).toBe(401);
  });
});

describe(`GET /v1/follows (${storageKind})`, () => {
  it('whom I follow and who follows me, by page; hidden members left out', async () => {
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    for (const who of [b, c]) expect((await h.call('POST', '/v1/follows', { token: a.token, body: { handle: who.handle } })).status).toBe(201);
    expect((await h.call('POST', '/v1/follows', { token: d.token, body: { handle: a.handle } })).status).toBe(201);
    expect(handles(await h.call('GET', '/v1/follows', { token: a.token }))).toEqual([b.handle, c.handle]);
    expect(handles(await h.call('GET', '/v1/follows?direction=following', { token: a.token }))).toEqual([b.handle, c.handle]);
    expect(handles(await h.call('GET', '/v1/follows?direction=followers', { token: a.token }))).toEqual([d.handle]);
    expect(handles(await h.call('GET', '/v1/follows?direction=followers', { token: b.token }))).toEqual([a.handle]);
    // pages
    const first = await h.call('GET', '/v1/follows?limit=1', { token: a.token });
    expect(handles(first)).toEqual([b.handle]);
    const second = await h.call('GET', `/v1/follows?limit=1&cursor=${first.body.nextCursor}`, { token: a.token });
    expect(handles(second)).toEqual([c.handle]);
    expect(second.body.nextCursor).toBeNull();
    // a block ends the follows; a deactivated member is not listed
    expect((await h.call('POST', '/v1/blocks', { token: c.token, body: { handle: a.handle } })).status).toBe(201);
    expect((await h.call('POST', '/v1/me/deactivate', { token: d.token })).status).toBe(200);
    expect(handles(await h.call('GET', '/v1/follows', { token: a.token }))).toEqual([b.handle]);
    expect(handles(await h.call('GET', '/v1/follows?direction=followers', { token: a.token }))).toEqual([]);
  });

  it('bad input: 400', async () => {
    const a = await signUp(h);
    for (const q of ['direction=both', 'limit=abc', 'cursor=xyz', 'extra=1']) {
      const r = await h.call('GET', `/v1/follows?${q}`, { token: a.token });
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
  });
});
