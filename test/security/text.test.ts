/**
 * Issue 15, finding 8: invisible characters. A name must hold a visible letter or digit (names of
 * zero-width characters, fillers or blanks alone are refused); the bidi override, embedding and
 * isolate characters (U+202A-U+202E, U+2066-U+2069) are removed from names, headlines and
 * attachment file names, so "invoice\u202Efdp.txt" cannot pose as a PDF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, type Harness } from '../helpers/harness.js';
import { connect, reply, send, setTier } from '../helpers/messaging.js';
import { wellFormed } from '../../src/http/hardening.js';

let h: Harness;
let seq = 0;

function signUpWith(name: string, headline?: string) {
  const handle = `txt_${++seq}`;
  return h.call('POST', '/v1/accounts', {
    body: { handle, name, email: `${handle}@example.test`, password: 'correct horse battery', ...(headline !== undefined ? { headline } : {}) },
  });
}

function upload(token: string, filename: string) {
  const boundary = 'xyzboundary';
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\nhello text\r\n--${boundary}--\r\n`;
  return h.call('POST', '/v1/attachments', {
    token,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    rawBody: Buffer.from(body, 'utf8'),
  });
}

beforeAll(async () => {
  h = await harness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('names need a visible letter or digit', () => {
  const invisible = [
    '\u200B\u200B\u200B', // zero-width spaces
    '\u200C\u200D\uFEFF', // zero-width non-joiner, joiner, BOM
    '\u2060\u180E', // word joiner, Mongolian vowel separator
    '\u3164\u3164', // Hangul filler (a "letter" that shows nothing)
    '\u115F\u1160\uFFA0', // Hangul choseong / jungseong / halfwidth fillers
    '\u2800\u2800', // Braille blank
    '\u00A0\u2003 \u3000', // spaces of all widths
    '\u202E\u202D\u2066', // direction controls alone
    '\u0301\u0308', // combining marks alone
    '...---!!!', // punctuation alone
  ];
  it('sign-up with a name of invisible characters only: 400 naming `name`', async () => {
    for (const name of invisible) {
      const r = await signUpWith(name);
      expect(r.status, JSON.stringify(name)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'name' } });
    }
  });

  it('a page or a group with such a name: 400 as well', async () => {
    const a = await signUp(h);
    for (const name of invisible.slice(0, 4)) {
      const p = await h.call('POST', '/v1/pages', { token: a.token, body: { handle: `pg_${++seq}`, name } });
      expect(p.status, JSON.stringify(name)).toBe(400);
      expect(p.body.error.details).toMatchObject({ field: 'name' });
      const g = await h.call('POST', '/v1/groups', { token: a.token, body: { name } });
      expect(g.status, JSON.stringify(name)).toBe(400);
    }
  });

  it('names in any script, with digits, or with a zero-width joiner inside, are fine', async () => {
    for (const name of ['Ann', 'Ödön Ász', '李小龍', 'محمد', 'R2', '7', 'Zoë\u200DX', 'נעמי']) {
      const r = await signUpWith(name);
      expect(r.status, name).toBe(201);
      expect(r.body.member.name).toBe(name);
    }
  });
});

describe('bidi overrides, embeddings and isolates are removed', () => {
  it('from names and headlines at sign-up', async () => {
    const r = await signUpWith('\u202EnaJ\u202C Doe\u2066', 'CEO\u202E at \u2067Acme\u2069 \u202A\u202B\u202D');
    expect(r.status).toBe(201);
    expect(r.body.member.name).toBe('naJ Doe');
    expect(r.body.member.headline).toBe('CEO at Acme');
    const me = await h.call('GET', '/v1/me', { token: r.body.token });
    expect(me.body.member.name).toBe('naJ Doe');
  });

  it('from page names and headlines', async () => {
    const a = await signUp(h);
    const p = await h.call('POST', '/v1/pages', {
      token: a.token,
      body: { handle: `pg_${++seq}`, name: 'Acme\u202E Corp', headline: '\u2068We make\u2069 things' },
    });
    expect(p.status).toBe(201);
    expect(p.body.name).toBe('Acme Corp');
    expect(p.body.headline).toBe('We make things');
  });

  it('from attachment file names: invoice\\u202Efdp.txt is invoicefdp.txt', async () => {
    const a = await signUp(h);
    const r = await upload(a.token, 'invoice\u202Efdp.txt');
    expect(r.status).toBe(201);
    expect(r.body.name).toBe('invoicefdp.txt');
    const only = await upload(a.token, '\u202E\u2066');
    expect(only.status).toBe(201);
    expect(only.body.name).toBe('file');
  });
});

/**
 * A lone UTF-16 surrogate (only a JSON escape can carry one: "\\ud800") in a message's body or an
 * InMail's subject was a 500 (PostgreSQL's jsonb refuses it in the outbox event; found by a member
 * trying the server). Every string of a JSON body is made well-formed when parsed: U+FFFD for each,
 * as PostgreSQL's text columns already stored them in names and headlines.
 */
describe('lone surrogates in a JSON body are U+FFFD, never a 500', () => {
  it('in a message, a reply and an InMail subject', async () => {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const first = await send(h, a, b, 'a\ud800b');
    expect(first.status).toBe(201);
    expect(first.body.message.body).toBe('a\uFFFDb');
    const again = await reply(h, b, first.body.conversation.id, 'x\udc00\ud83d\ude00y\ud83d');
    expect(again.status).toBe(201);
    expect(again.body.body ?? again.body.message?.body).toBe('x\uFFFD\ud83d\ude00y\uFFFD');
    await setTier(h, a, 'career');
    const inmail = await send(h, a, c, 'hello', { channel: 'inmail', subject: 'a\ud800b' });
    expect(inmail.status).toBe(201);
    expect(inmail.body.message.subject).toBe('a\uFFFDb');
    const read = await h.call('GET', `/v1/conversations/${first.body.conversation.id}/messages`, { token: a.token });
    expect(read.status).toBe(200);
    expect(read.body.items.map((m: { body: string }) => m.body)).toEqual(expect.arrayContaining(['a\uFFFDb', 'x\uFFFD\ud83d\ude00y\uFFFD']));
  });

  it('wellFormed: strings and keys at any depth; pairs kept', () => {
    expect(wellFormed({ 'k\ud800': ['\udfff', { x: 'ok\ud83d\ude00' }], n: 1, z: null })).toEqual({
      'k\uFFFD': ['\uFFFD', { x: 'ok\ud83d\ude00' }],
      n: 1,
      z: null,
    });
    expect(wellFormed('\ud800\ud800\udc00')).toBe('\uFFFD\ud800\udc00');
  });
});
