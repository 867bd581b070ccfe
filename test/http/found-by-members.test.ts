/**
 * Rule-book violations found by members, attackers and reviewers trying the server (each test
 * failed before its fix): what a member did, and what DOMAIN.md says should have happened.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, makePage } from '../helpers/messaging.js';

const DAY = 86_400_000;

describe(`found by members and reviewers (${storageKind})`, () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });
  const as = (who: { token: string }) => ({
    call: (method: string, url: string, body?: unknown) => h.call(method, url, { token: who.token, body }),
  });
  const later = (ms: number) => h.clock.set(new Date(h.clock.now().getTime() + ms));

  it('DOMAIN.md 5: three reports restrict only when three distinct persons make them (one person reporting as three pages counts once)', async () => {
    h = await harness();
    const x = await signUp(h);
    const y = await signUp(h);
    const z = await signUp(h);
    const victim = await signUp(h);
    for (const who of [x, y, z]) await connect(h, who, victim); // the victim may write to each
    later(8 * DAY); // every reporter's account is old enough
    const pages = ['pg_one', 'pg_two', 'pg_three'];
    for (const p of pages) await makePage(h, p, [x]);
    const report = async (who: { token: string }, to: string, page?: string) => {
      const sent = await as(victim).call('POST', '/v1/messages', { to, body: `hello ${to}` });
      expect(sent.status, sent.text).toBe(201);
      const r = await as(who).call('POST', `/v1/conversations/${sent.body.conversation.id}/report${page ? `?as=${page}` : ''}`, { reason: 'spam' });
      expect(r.status, r.text).toBe(200);
    };
    for (const p of pages) await report(x, p, p);
    await report(x, x.handle); // and as themself: still one person
    let me = await as(victim).call('GET', '/v1/me');
    expect(me.body.member.status, 'one person, four reports').not.toBe('restricted');
    expect((await as(victim).call('POST', '/v1/messages', { to: y.handle, body: 'still here' })).status).toBe(201);
    await report(y, y.handle);
    me = await as(victim).call('GET', '/v1/me');
    expect(me.body.member.status, 'two persons').not.toBe('restricted');
    await report(z, z.handle);
    me = await as(victim).call('GET', '/v1/me');
    expect(me.body.member.status, 'three persons').toBe('restricted');
  });
});
