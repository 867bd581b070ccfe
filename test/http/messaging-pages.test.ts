import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { folder, makePage, reply, send } from '../helpers/messaging.js';

describe(`messaging: pages (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("any active member may message a page: a request in the page's shared inbox for all admins", async () => {
    const owner = await signUp(h);
    const coAdmin = await signUp(h);
    const outsider = await signUp(h);
    const customer = await signUp(h);
    const page = await makePage(h, 'acme_corp', [owner, coAdmin]);
    const r = await send(h, customer, 'acme_corp', 'Do you ship to Norway?');
    expect(r.status).toBe(201);
    expect(r.body.message.channel).toBe('page');
    expect(r.body.conversation).toMatchObject({ state: 'request', folder: 'inbox' });
    const cid = r.body.conversation.id;
    // the event goes to the page (the realtime layer fans out to its admins)
    const ev = (await h.inst.store.db.execute(sql`select member_ids from events where type = 'conversation.request' order by id desc limit 1`)) as unknown as {
      rows: { member_ids: number[] }[];
    };
    expect(ev.rows[0]!.member_ids.map(Number)).toEqual([page.id]);
    for (const adm of [owner, coAdmin]) {
      const viaAs = await folder(h, adm, 'requests', 'acme_corp');
      expect(viaAs.map((c) => c.id)).toEqual([cid]);
      const viaPage = await h.call('GET', '/v1/pages/acme_corp/conversations?folder=requests', { token: adm.token });
      expect(viaPage.status).toBe(200);
      expect(viaPage.body.items.map((c: any) => c.id)).toEqual([cid]);
      // not in the admin's own folders
      expect(await folder(h, adm, 'requests')).toEqual([]);
    }
    // non-admins get nothing
    expect((await h.call('GET', '/v1/pages/acme_corp/conversations?folder=requests', { token: outsider.token })).status).toBe(404);
    expect((await h.call('GET', '/v1/conversations?folder=requests&as=acme_corp', { token: outsider.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/conversations/${cid}/messages?as=acme_corp`, { token: outsider.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/conversations/${cid}/messages`, { token: outsider.token })).status).toBe(404);
    expect((await h.call('GET', `/v1/pages/${customer.handle}/conversations`, { token: customer.token })).status).toBe(404);
    // cannot be ignored
    const ig = await h.call('POST', `/v1/conversations/${cid}/ignore?as=acme_corp`, { token: owner.token });
    expect(ig.status).toBe(403);
    expect(ig.body.error.code).toBe('pages_cannot_ignore');
    expect((await folder(h, coAdmin, 'requests', 'acme_corp')).map((c) => c.id)).toEqual([cid]);
    // no reply before accepting
    const early = await reply(h, owner, cid, 'Yes!', 'acme_corp');
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('request_not_accepted');
    // accept, then an admin replies as the page
    const acc = await h.call('POST', `/v1/conversations/${cid}/accept?as=acme_corp`, { token: coAdmin.token });
    expect(acc.status).toBe(200);
    expect(acc.body).toMatchObject({ state: 'open', folder: 'inbox' });
    const ans = await reply(h, owner, cid, 'Yes, we do.', 'acme_corp');
    expect(ans.status).toBe(201);
    expect(ans.body.message.sender).toMatchObject({ handle: 'acme_corp', kind: 'page' });
    const seen = await h.call('GET', `/v1/conversations/${cid}/messages`, { token: customer.token });
    expect(seen.body.items.map((m: any) => [m.sender.handle, m.body])).toEqual([
      ['acme_corp', 'Yes, we do.'],
      [customer.handle, 'Do you ship to Norway?'],
    ]);
    expect((await folder(h, coAdmin, 'inbox', 'acme_corp'))[0]).toMatchObject({ id: cid, unread: 0 });
  });

  it('an admin may delete a request: gone for the page, the sender still sees it pending, and their next message arrives as a new request (found by two members)', async () => {
    const owner = await signUp(h);
    const coAdmin = await signUp(h);
    const customer = await signUp(h);
    await makePage(h, 'beta_shop', [owner, coAdmin]);
    const r = await send(h, customer, 'beta_shop', 'Hello?');
    const cid = r.body.conversation.id;
    const outsider = await signUp(h);
    const pageRequests = async (u: typeof owner) => (await notifications(u)).filter((n: any) => n.kind === 'page.request');
    const notifications = async (u: typeof owner) => (await h.call('GET', '/v1/notifications', { token: u.token })).body.items;
    expect(await pageRequests(coAdmin)).toHaveLength(1);
    expect((await h.call('DELETE', `/v1/conversations/${cid}?as=beta_shop`, { token: outsider.token })).status).toBe(404);
    expect((await h.call('DELETE', `/v1/conversations/${cid}?as=beta_shop`, { token: owner.token })).status).toBe(204);
    expect(await folder(h, owner, 'requests', 'beta_shop')).toEqual([]);
    expect(await pageRequests(coAdmin)).toEqual([]);
    // the sender is told nothing
    expect((await h.call('GET', `/v1/conversations/${cid}`, { token: customer.token })).body.state).toBe('request');
    // the "why" answer (read model) and the send agree: the sender may write again, and it reaches the page
    const why = await h.call('GET', '/v1/members/beta_shop/decisions/message', { token: customer.token });
    expect(why.body).toMatchObject({ allowed: true, channel: 'page', delivery: 'request' });
    expect((await reply(h, customer, cid, 'Anyone?')).status).toBe(201);
    // what the page deleted stays deleted for it; the sender keeps their whole thread
    const bodies = async (u: typeof owner, as?: string) =>
      (await h.call('GET', `/v1/conversations/${cid}/messages${as ? `?as=${as}` : ''}`, { token: u.token })).body.items.map((m: any) => m.body);
    expect(await bodies(coAdmin, 'beta_shop')).toEqual(['Anyone?']);
    expect(await bodies(customer)).toEqual(['Anyone?', 'Hello?']);
    for (const adm of [owner, coAdmin]) {
      const back = await folder(h, adm, 'requests', 'beta_shop');
      expect(back.map((c) => [c.id, c.state, c.unread])).toEqual([[cid, 'request', 1]]);
      expect(await pageRequests(adm)).toHaveLength(1);
    }
    // a follow-up while it waits, then no more (awaiting_response), until an admin deletes it again
    expect((await send(h, customer, 'beta_shop', 'Still there?')).status).toBe(201);
    expect((await send(h, customer, 'beta_shop', 'Hello??')).body.error.code).toBe('awaiting_response');
    expect((await h.call('GET', '/v1/members/beta_shop/decisions/message', { token: customer.token })).body.reason).toBe('awaiting_response');
    expect((await h.call('DELETE', `/v1/conversations/${cid}?as=beta_shop`, { token: coAdmin.token })).status).toBe(204);
    expect((await h.call('GET', '/v1/members/beta_shop/decisions/message', { token: customer.token })).body).toMatchObject({ allowed: true, channel: 'page' });
    expect((await send(h, customer, 'beta_shop', 'One more try')).status).toBe(201);
    expect((await folder(h, coAdmin, 'requests', 'beta_shop')).map((c) => c.id)).toEqual([cid]);
    // the stream replays what the lists hold: the admins' page requests since the last delete only
    await h.call('DELETE', `/v1/conversations/${cid}?as=beta_shop`, { token: owner.token });
    expect(await pageRequests(owner)).toEqual([]);
  });

  it('a page does not begin conversations: POST /v1/messages?as= is 400 and nothing goes out (it went out as the admin); nor does a route without ?as= act as the person (found by a member)', async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    await makePage(h, 'gamma_co', [owner]);
    const r = await h.call('POST', '/v1/messages?as=gamma_co', { token: owner.token, body: { to: member.handle, body: 'hello from the page' } });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_request', details: { field: 'as' } });
    expect(await folder(h, member, 'requests')).toEqual([]);
    expect(await folder(h, member, 'inbox')).toEqual([]);
    // nor does any route without a page form act as the person instead: a block, a deactivation
    for (const [method, url, body] of [
      ['POST', '/v1/blocks?as=gamma_co', { handle: member.handle }],
      ['POST', '/v1/me/deactivate?as=gamma_co', undefined],
      ['POST', '/v1/invitations?as=gamma_co', { to: member.handle }],
    ] as const) {
      const x = await h.call(method, url, { token: owner.token, body });
      expect(x.status, `${method} ${url}: ${x.text}`).toBe(400);
      expect(x.body.error.details).toEqual({ field: 'as' });
    }
    expect((await h.call('GET', '/v1/blocks', { token: owner.token })).body.items).toEqual([]);
    expect((await h.call('GET', '/v1/me', { token: owner.token })).body.member.status).toBe('active');
    expect((await h.call('GET', '/v1/invitations?direction=sent', { token: owner.token })).body.items).toEqual([]);
  });
  it('a page closes with its last admin: it can no longer be messaged or found; a page someone else still runs stays (found by a member probe)', async () => {
    const [solo, duoA, duoB, pending, customer] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    await makePage(h, 'solo_shop', [solo]);
    await makePage(h, 'duo_shop', [duoA, duoB]);
    // an admin invitation still pending does not keep the page open (it cannot be accepted any more)
    expect((await h.call('POST', '/v1/pages/solo_shop/admins', { token: solo.token, body: { handle: pending.handle } })).status).toBe(201);
    expect((await send(h, customer, 'solo_shop', 'before')).status).toBe(201);
    expect((await h.call('POST', '/v1/me/close', { token: solo.token })).status).toBe(200);
    expect((await h.call('POST', '/v1/me/close', { token: duoA.token })).status).toBe(200);
    const r = await send(h, customer, 'solo_shop', 'anyone there?');
    expect([r.status, r.body.error?.code]).toEqual([404, 'recipient_unavailable']);
    expect((await h.call('GET', '/v1/members/solo_shop', { token: customer.token })).status).toBe(404);
    expect((await h.call('POST', '/v1/pages/solo_shop/admins/me/accept', { token: pending.token })).status).toBe(404);
    // the other page is run by duoB still
    expect((await send(h, customer, 'duo_shop', 'hello')).status).toBe(201);
    expect((await folder(h, duoB, 'requests', 'duo_shop')).length).toBe(1);
  });

  it('a page nobody runs (left open by account closures before they closed its pages too) is closed by housekeeping; a page with an admin stays', async () => {
    const [owner, other, customer] = [await signUp(h), await signUp(h), await signUp(h)];
    const orphan = await makePage(h, 'orphan_shop', [owner]);
    await makePage(h, 'kept_shop', [other]);
    // what a closure did before pages closed with their last admin: the adminship went, the page stayed
    await h.inst.store.db.execute(sql`delete from page_admins where page_id = ${Number(orphan.id)}`);
    expect((await send(h, customer, 'orphan_shop', 'anyone there?')).status).toBe(201);
    const report = await h.inst.housekeeper.runOnce();
    expect(report.pages).toBe(1);
    const r = await send(h, customer, 'orphan_shop', 'hello?');
    expect([r.status, r.body.error?.code]).toEqual([404, 'recipient_unavailable']);
    expect((await h.call('GET', '/v1/members/orphan_shop', { token: customer.token })).status).toBe(404);
    expect((await send(h, customer, 'kept_shop', 'hello')).status).toBe(201);
    expect((await h.inst.housekeeper.runOnce()).pages).toBe(0);
  });
});
