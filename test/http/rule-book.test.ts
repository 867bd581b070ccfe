/**
 * The findings of issue 14, each as the member met it: every test here failed on the server before
 * the revised rule book was implemented (DOMAIN.md 1, 3, 4, 5, 6, 7).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, folder, makeGroup, reply, send, setTier, settings, type User } from '../helpers/messaging.js';

const DAY = 86_400_000;

describe(`the running system obeys the rule book (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ policy: { connectionCap: 3, reportMinAccountAgeDays: 0 } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const me = async (u: User) => (await h.call('GET', '/v1/me', { token: u.token })).body;
  const profileOf = async (viewer: User, handle: string) => (await h.call('GET', `/v1/members/${handle}`, { token: viewer.token })).body;

  it('1. an InMail accepts nothing: the next message needs a channel or another credit, and the settings apply', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await setTier(h, a, 'career');
    const first = await send(h, a, b, 'hello', { channel: 'inmail', subject: 'hi' });
    expect(first.status).toBe(201);
    expect(first.body.conversation).toMatchObject({ state: 'open', accepted: false });
    const cid = first.body.conversation.id;
    // writing into the thread never spends a credit: refused with the inmail unlock
    const again = await reply(h, a, cid, 'are you there?');
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('not_in_reach');
    expect(again.body.error.unlock).toContainEqual({ kind: 'inmail', credits: 1 });
    // another InMail goes into the same thread and costs another credit
    const second = await send(h, a, b, 'one more', { channel: 'inmail', subject: 'again' });
    expect(second.status).toBe(201);
    expect(second.body.conversation.id).toBe(cid);
    expect((await me(a)).quotas.inmailCredits).toBe(3);
    // the recipient closes the door: nothing gets through any more
    await settings(h, b, { acceptInMail: false, messagesFrom: 'connections' });
    const shut = await send(h, a, b, 'and again', { channel: 'inmail', subject: 'x' });
    expect(shut.status).toBe(403);
    expect(shut.body.error.code).toBe('recipient_settings');
    expect((await reply(h, a, cid, 'still?')).status).toBe(403);
    // a reply from the recipient accepts the thread, whatever the settings say: then both write freely
    const answer = await reply(h, b, cid, 'ok, let us talk');
    expect(answer.status).toBe(201);
    expect(answer.body.conversation.accepted).toBe(true);
    expect((await reply(h, a, cid, 'thanks')).status).toBe(201);
    expect((await me(a)).quotas.inmailCredits).toBe(5); // both InMails refunded
  });

  it('2. ex-connections keep no free channel; a block ends the thread for good', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const first = await send(h, a, b, 'hi friend');
    expect(first.body.message.channel).toBe('direct');
    const cid = first.body.conversation.id;
    expect((await h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })).status).toBe(204);
    const after = await reply(h, a, cid, 'still friends?');
    expect(after.status).toBe(403);
    expect(after.body.error.code).toBe('not_in_reach');
    // nor the other side: a thread begun between connections is no reply channel once they are not
    // (found by a member trying the server: B wrote back as `direct`, and that accepted the thread)
    const decision = await h.call('GET', `/v1/members/${a.handle}/decisions/message`, { token: b.token });
    expect(decision.status).toBe(200);
    expect(decision.body).toMatchObject({ allowed: false, reason: 'not_in_reach' });
    for (const attempt of [await reply(h, b, cid, 'still there?'), await send(h, b, a, 'hello?')]) {
      expect(attempt.status).toBe(403);
      expect(attempt.body.error.code).toBe('not_in_reach');
    }
    expect((await reply(h, a, cid, 'and now?')).status).toBe(403);
    // block and unblock: the old thread is gone for both and stays gone
    await connect(h, a, b);
    expect((await reply(h, a, cid, 'back again')).status).toBe(201);
    expect((await h.call('POST', '/v1/blocks', { token: b.token, body: { handle: a.handle } })).status).toBe(201);
    expect((await h.call('DELETE', `/v1/blocks/${a.handle}`, { token: b.token })).status).toBe(204);
    for (const u of [a, b]) {
      expect((await folder(h, u, 'inbox')).map((c) => c.id)).not.toContain(cid);
      expect((await h.call('GET', `/v1/conversations/${cid}/messages`, { token: u.token })).status).toBe(404);
    }
    expect((await reply(h, a, cid, 'hello?')).status).toBe(404);
    // a new message needs a channel like a first one: a free member reaches no one outside 1st degree
    const fresh = await send(h, a, b, 'hello again');
    expect(fresh.status).toBe(403);
    expect(fresh.body.error.code).toBe('not_in_reach');
  });

  /** ann (career) writes to bob, 2nd degree through cy: a tier_reach request. */
  const requestFromAfar = async () => {
    const [ann, bob, cy] = [await signUp(h), await signUp(h), await signUp(h)];
    await setTier(h, ann, 'career');
    await connect(h, ann, cy);
    await connect(h, cy, bob);
    const req = await send(h, ann, bob, 'hello from afar');
    expect(req.status).toBe(201);
    expect(req.body.message.channel).toBe('tier_reach');
    expect(req.body.conversation.state).toBe('request');
    return { ann, bob, cid: req.body.conversation.id as string };
  };

  it('2b. a request ignored, then the two connect: the next message reaches the inbox (it was lost)', async () => {
    const { ann, bob, cid } = await requestFromAfar();
    expect((await h.call('POST', `/v1/conversations/${cid}/ignore`, { token: bob.token })).status).toBe(200);
    await connect(h, bob, ann);
    const decision = await h.call('GET', `/v1/members/${bob.handle}/decisions/message`, { token: ann.token });
    expect(decision.body).toMatchObject({ allowed: true, channel: 'direct', delivery: 'inbox' });
    const now = await send(h, ann, bob, 'connected now');
    expect(now.status).toBe(201);
    expect(now.body.message.channel).toBe('direct');
    const inbox = await folder(h, bob, 'inbox');
    expect(inbox.map((c) => c.id)).toContain(now.body.conversation.id);
    const read = await h.call('GET', `/v1/conversations/${now.body.conversation.id}/messages`, { token: bob.token });
    expect(read.status).toBe(200);
    expect(read.body.items.map((m: { body: string }) => m.body)).toContain('connected now');
    expect((await me(bob)).unread.inbox).toBeGreaterThan(0);
  });

  it('2c. a request the two wrote in once connected is a thread between connections: no reply channel after, and settings apply', async () => {
    const { ann, bob, cid } = await requestFromAfar();
    await connect(h, ann, bob);
    expect((await reply(h, bob, cid, 'now we are connected')).status).toBe(201);
    expect((await h.call('DELETE', `/v1/connections/${ann.handle}`, { token: bob.token })).status).toBe(204);
    // bob (free, 2nd degree) has no channel to ann: his write is no reply to her old request
    const after = await reply(h, bob, cid, 'still there?');
    expect(after.status).toBe(403);
    expect(after.body.error.code).toBe('not_in_reach');
    // with a tier that reaches her, ann's own setting decides, as for a first message
    await setTier(h, bob, 'career');
    await settings(h, ann, { messagesFrom: 'connections' });
    const decided = await h.call('GET', `/v1/members/${ann.handle}/decisions/message`, { token: bob.token });
    expect(decided.body).toMatchObject({ allowed: false, reason: 'recipient_settings' });
    expect((await send(h, bob, ann, 'hello?')).body.error.code).toBe('recipient_settings');
    await settings(h, ann, { messagesFrom: 'anyone' });
    const theirs = await send(h, bob, ann, 'hello again');
    expect(theirs.status).toBe(201);
    expect(theirs.body.message.channel).toBe('tier_reach');
    expect(theirs.body.conversation).toMatchObject({ id: cid, state: 'request', accepted: false });
  });

  it('5. a closed account holds no cap place: its connections go at once', async () => {
    const [a, b, c, d] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, a, b);
    await connect(h, a, c);
    await connect(h, a, d);
    const e = await signUp(h);
    expect((await h.call('POST', '/v1/invitations', { token: e.token, body: { to: a.handle } })).body.error.code).toBe('recipient_connection_cap');
    expect((await h.call('POST', '/v1/me/close', { token: d.token })).status).toBe(200);
    const conns = await h.call('GET', '/v1/connections', { token: a.token });
    expect(conns.body.items.map((m: { handle: string }) => m.handle).sort()).toEqual([b.handle, c.handle].sort());
    expect((await h.call('POST', '/v1/invitations', { token: e.token, body: { to: a.handle } })).status).toBe(201);
  });

  it('6. profileVisibility holds wherever the member appears: search, suggestions, invitations', async () => {
    const [v, x, hidden] = [await signUp(h), await signUp(h), await signUp(h, undefined, { headline: 'Secret headline' })];
    await settings(h, hidden, { profileVisibility: 'connections' });
    await connect(h, v, x);
    await connect(h, x, hidden);
    const search = await h.call('GET', `/v1/search/members?q=${hidden.handle}`, { token: v.token });
    const hit = search.body.items.find((i: { member: { handle: string } }) => i.member.handle === hidden.handle);
    expect(hit.member.headline).toBe('');
    expect(hit.degree).toBe(2);
    const sugg = await h.call('GET', '/v1/suggestions', { token: v.token });
    const s = sugg.body.items.find((i: { member: { handle: string } }) => i.member.handle === hidden.handle);
    expect(s).toMatchObject({ member: { headline: '' }, mutualConnections: null });
    const prof = await profileOf(v, hidden.handle);
    expect(prof.member.headline).toBe('');
    expect(prof.mutualConnections.count).toBeNull();
    const inv = await h.call('POST', '/v1/invitations', { token: hidden.token, body: { to: v.handle } });
    expect(inv.status).toBe(201);
    const received = await h.call('GET', '/v1/invitations?direction=received', { token: v.token });
    expect(received.body.items[0].from.headline).toBe('');
    // the member sees their own headline
    expect(inv.body.from.headline).toBe('Secret headline');
  });

  it('6b. the introduction unlock never names a member whose visibility excludes the viewer', async () => {
    const [v, a, b, target] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await connect(h, v, a);
    await connect(h, a, b);
    await connect(h, b, target);
    const before = await h.call('GET', `/v1/members/${target.handle}/decisions/message`, { token: v.token });
    expect(before.body.unlock).toContainEqual({ kind: 'introduction', via: [a.handle, b.handle] });
    // a refused send explains itself with the same paths (gathered only for the refusal)
    const send = await h.call('POST', '/v1/messages', { token: v.token, body: { to: target.handle, body: 'hello' } });
    expect(send.status).toBe(403);
    expect(send.body.error.unlock).toContainEqual({ kind: 'introduction', via: [a.handle, b.handle] });
    await settings(h, b, { profileVisibility: 'connections' });
    const after = await h.call('GET', `/v1/members/${target.handle}/decisions/message`, { token: v.token });
    expect(after.body.unlock.filter((u: { kind: string }) => u.kind === 'introduction')).toEqual([]);
  });

  it('7. Accept only when neither side is at the cap; accepting at the cap says how to make room', async () => {
    const [full, x, y, z, inviter] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const inv = await h.call('POST', '/v1/invitations', { token: inviter.token, body: { to: full.handle } });
    expect(inv.status).toBe(201);
    expect((await profileOf(full, inviter.handle)).primaryAction).toBe('accept');
    await connect(h, full, x);
    await connect(h, full, y);
    await connect(h, full, z);
    const p = await profileOf(full, inviter.handle);
    expect(p.primaryAction).not.toBe('accept');
    expect(p.primaryAction).toBe('follow'); // DOMAIN.md 4.7: the viewer is at the cap
    const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: full.token });
    expect(acc.status).toBe(403);
    expect(acc.body.error).toMatchObject({ code: 'connection_cap', unlock: [{ kind: 'remove_connection' }] });
  });

  it('8. a restricted member may accept invitations, follow, block and report; sees their own restriction; others do not', async () => {
    const [r, other, third] = [await signUp(h), await signUp(h), await signUp(h)];
    const inv = await h.call('POST', '/v1/invitations', { token: other.token, body: { to: r.handle } });
    await admin(h, 'POST', `/v1/admin/members/${r.handle}/restrict`);
    expect((await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: r.token })).status).toBe(200);
    expect((await h.call('POST', '/v1/follows', { token: r.token, body: { handle: third.handle } })).status).toBe(201);
    expect((await h.call('POST', '/v1/invitations', { token: r.token, body: { to: third.handle } })).body.error.code).toBe('sender_restricted');
    expect((await me(r)).member.status).toBe('restricted');
    expect((await profileOf(other, r.handle)).member.status).toBe('active');
    const found = await h.call('GET', `/v1/search/members?q=${r.handle}`, { token: third.token });
    expect(found.body.items[0].member.status).toBe('active');
    expect((await admin(h, 'GET', `/v1/admin/reports`)).status).toBe(200);
    expect((await h.call('POST', '/v1/blocks', { token: r.token, body: { handle: third.handle } })).status).toBe(201);
    // the blocks list shows handle and name only
    const blocks = await h.call('GET', '/v1/blocks', { token: r.token });
    expect(blocks.body.items).toEqual([{ handle: third.handle, name: `Name ${third.handle}` }]);
  });

  it('9. attachments of a conversation stop existing after a block (and stay gone after unblock)', async () => {
    const [a, b] = [await signUp(h), await signUp(h)];
    await connect(h, a, b);
    const boundary = 'xBOUNDARYx';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello there\r\n--${boundary}--\r\n`;
    const up = await h.call('POST', '/v1/attachments', {
      token: a.token,
      rawBody: body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    expect(up.status).toBe(201);
    expect((await send(h, a, b, 'see attached', { attachments: [up.body.id] })).status).toBe(201);
    expect((await h.call('GET', `/v1/attachments/${up.body.id}`, { token: b.token })).status).toBe(200);
    await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } });
    expect((await h.call('GET', `/v1/attachments/${up.body.id}`, { token: b.token })).status).toBe(404);
    h.clock.advance(3 * DAY);
    await h.call('DELETE', `/v1/blocks/${b.handle}`, { token: a.token });
    expect((await h.call('GET', `/v1/attachments/${up.body.id}`, { token: b.token })).status).toBe(404);
    // the uploader keeps their own file
    expect((await h.call('GET', `/v1/attachments/${up.body.id}`, { token: a.token })).status).toBe(200);
  });

  it('10. a note of only spaces is no note: stored as null, no free note spent', async () => {
    const [a, b, c] = [await signUp(h), await signUp(h), await signUp(h)];
    const before = (await me(a)).quotas.notesLeftThisMonth;
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle, note: '   \n\t ' } });
    expect(inv.status).toBe(201);
    expect(inv.body.note).toBeNull();
    expect((await me(a)).quotas.notesLeftThisMonth).toBe(before);
    const withNote = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: c.handle, note: 'Met at the fair' } });
    expect(withNote.body.note).toBe('Met at the fair');
    expect((await me(a)).quotas.notesLeftThisMonth).toBe(before - 1);
  });

  it('the same text ignores invisible characters: zero-width spaces do not dodge bulk detection', async () => {
    const hb = await harness({ policy: { bulkRecipientsThreshold: 3, tierReach: { free: 3 } } });
    try {
      const spammer = await signUp(hb);
      const hub = await signUp(hb);
      const targets = [await signUp(hb), await signUp(hb), await signUp(hb), await signUp(hb)];
      for (const t of targets) await connect(hb, hub, t);
      await connect(hb, spammer, hub);
      const variants = ['Buy now', 'Buy\u200B now', 'buy  NOW\u200E'];
      for (let i = 0; i < 3; i++) expect((await send(hb, spammer, targets[i]!, variants[i]!)).status).toBe(201);
      const blocked = await send(hb, spammer, targets[3]!, 'something else');
      expect(blocked.status).toBe(403);
      expect(blocked.body.error.code).toBe('bulk_flagged');
    } finally {
      await hb.close();
    }
  }, 120_000);
});
