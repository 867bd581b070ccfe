import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, profileOf, type Who } from '../helpers/network.js';

const DAY = 86_400_000;

describe(`invitations (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({
      policy: { connectionCap: 3, invitationsPerWeek: 4, notesPerMonthFree: 2, idkReportsToRequireEmail: 2, withdrawCooldownDays: 21 },
    });
  });
  afterAll(async () => h?.close());

  it('send with a note, list, accept: connected, both follow, degree 1, Message', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle, note: 'Hello from a conference' } });
    expect(inv.status).toBe(201);
    expect(inv.body).toMatchObject({
      id: expect.any(String),
      from: { handle: a.handle },
      to: { handle: b.handle },
      note: 'Hello from a conference',
      status: 'pending',
      createdAt: expect.any(String),
    });
    const received = await h.call('GET', '/v1/invitations?direction=received', { token: b.token });
    expect(received.body.items.map((i: { id: string }) => i.id)).toEqual([inv.body.id]);
    expect(received.body.nextCursor).toBeNull();
    const sent = await h.call('GET', '/v1/invitations?direction=sent', { token: a.token });
    expect(sent.body.items[0].id).toBe(inv.body.id);
    const pa = await profileOf(h, a, b.handle);
    expect(pa.body.primaryAction).toBe('pending');
    expect(pa.body.relationship.invitation).toEqual({ id: inv.body.id, direction: 'sent' });
    const pb = await profileOf(h, b, a.handle);
    expect(pb.body.primaryAction).toBe('accept');

    const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token });
    expect(acc.status).toBe(200);
    expect(acc.body.status).toBe('accepted');
    const p = await profileOf(h, a, b.handle);
    expect(p.body).toMatchObject({
      degree: 1,
      full: true,
      primaryAction: 'message',
      relationship: { connected: true, following: true, followedBy: true, invitation: null },
    });
    expect(p.body.actions.message).toMatchObject({ allowed: true, channel: 'direct', delivery: 'inbox' });
    const conns = await h.call('GET', '/v1/connections', { token: b.token });
    expect(conns.body.items.map((m: { handle: string }) => m.handle)).toEqual([a.handle]);
    expect((await h.call('GET', '/v1/invitations?direction=received', { token: b.token })).body.items).toEqual([]);
    const again = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('already_connected');
  });

  it('crossing invitations connect at once: 200 with status accepted', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } })).status).toBe(201);
    const cross = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    expect(cross.status).toBe(200);
    expect(cross.body.status).toBe('accepted');
    expect((await profileOf(h, a, b.handle)).body.degree).toBe(1);
  });

  it('a note of 301 characters is 400 note_too_long and stores nothing', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const r = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle, note: 'x'.repeat(301) } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('note_too_long');
    expect((await h.call('GET', '/v1/invitations?direction=sent', { token: a.token })).body.items).toEqual([]);
    const ok = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle, note: 'x'.repeat(300) } });
    expect(ok.status).toBe(201);
  });

  it('free members: notes per calendar month; paid tiers have no note limit', async () => {
    const a = await signUp(h);
    const others = [await signUp(h), await signUp(h), await signUp(h)];
    for (const o of others.slice(0, 2))
      expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: o.handle, note: 'hi' } })).status).toBe(201);
    const third = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: others[2]!.handle, note: 'hi' } });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('note_limit');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.body.error.unlock).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'wait', until: '2026-04-01T00:00:00.000Z' })]));
    expect((await h.call('GET', '/v1/me', { token: a.token })).body.quotas.notesLeftThisMonth).toBe(0);
    await admin(h, 'PUT', `/v1/admin/members/${a.handle}/subscription`, { tier: 'career', until: '2030-01-01T00:00:00Z' });
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: others[2]!.handle, note: 'hi' } })).status).toBe(201);
  });

  it('the weekly limit holds in a rolling 7 days, with Retry-After and the exact date', async () => {
    const a = await signUp(h);
    const targets: Who[] = [];
    for (let i = 0; i < 5; i++) targets.push(await signUp(h));
    const start = h.clock.now();
    for (let i = 0; i < 4; i++) {
      expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: targets[i]!.handle } })).status).toBe(201);
      h.clock.advance(1000);
    }
    const fifth = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: targets[4]!.handle } });
    expect(fifth.status).toBe(429);
    expect(fifth.body.error.code).toBe('weekly_invitation_limit');
    const until = new Date(start.getTime() + 7 * DAY).toISOString();
    expect(fifth.body.error.unlock).toEqual([{ kind: 'wait', until }]);
    h.clock.set(new Date(start.getTime() + 7 * DAY + 1));
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: targets[4]!.handle } })).status).toBe(201);
  });

  it('withdraw: the sender cannot invite the same member again for 21 days', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    const w = await h.call('POST', `/v1/invitations/${inv.body.id}/withdraw`, { token: a.token });
    expect(w.status).toBe(200);
    expect(w.body.status).toBe('withdrawn');
    const at = h.clock.now();
    const again = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('withdraw_cooldown');
    expect(again.body.error.unlock).toEqual([{ kind: 'wait', until: new Date(at.getTime() + 21 * DAY).toISOString() }]);
    expect((await profileOf(h, a, b.handle)).body.actions.connect.reason).toBe('withdraw_cooldown');
    h.clock.advance(21 * DAY + 1000);
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } })).status).toBe(201);
  });

  it('ignore is silent: the sender still sees it pending', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    const ig = await h.call('POST', `/v1/invitations/${inv.body.id}/ignore`, { token: b.token });
    expect(ig.status).toBe(200);
    expect(ig.body.status).toBe('ignored');
    expect((await h.call('GET', '/v1/invitations?direction=received', { token: b.token })).body.items).toEqual([]);
    const sent = await h.call('GET', '/v1/invitations?direction=sent', { token: a.token });
    expect(sent.body.items.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([[inv.body.id, 'pending']]);
    expect((await profileOf(h, a, b.handle)).body.primaryAction).toBe('pending');
    expect((await profileOf(h, b, a.handle)).body.primaryAction).toBe('connect');
  });

  it('"I don\'t know this person" reports: after enough, the sender must give the e-mail', async () => {
    const a = await signUp(h);
    for (let i = 0; i < 2; i++) {
      const x = await signUp(h);
      const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: x.handle } });
      expect((await h.call('POST', `/v1/invitations/${inv.body.id}/report`, { token: x.token })).status).toBe(200);
    }
    const c = await signUp(h);
    const r = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: c.handle } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('email_required');
    const wrong = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: c.handle, email: 'wrong@example.test' } });
    expect(wrong.body.error.code).toBe('email_required');
    const ok = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: c.handle, email: `${c.handle.toUpperCase()}@example.test` } });
    expect(ok.status).toBe(201);
  });

  it('pending invitations expire after the expiry days', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
    h.clock.advance(180 * DAY + 1000);
    expect((await h.call('GET', '/v1/invitations?direction=received', { token: b.token })).body.items).toEqual([]);
    const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token });
    expect(acc.status).toBe(409);
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } })).status).toBe(201);
  });

  it('unknown, deactivated and closed members look alike: 404 recipient_unavailable', async () => {
    const a = await signUp(h);
    const d = await signUp(h);
    const c = await signUp(h);
    await h.call('POST', '/v1/me/deactivate', { token: d.token });
    await h.call('POST', '/v1/me/close', { token: c.token });
    const bodies = [];
    for (const to of ['no_such_member', d.handle, c.handle]) {
      const r = await h.call('POST', '/v1/invitations', { token: a.token, body: { to } });
      expect(r.status).toBe(404);
      bodies.push(r.body);
    }
    expect(bodies[0].error.code).toBe('recipient_unavailable');
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('pages never send nor receive invitations', async () => {
    const a = await signUp(h);
    const page = await h.call('POST', '/v1/pages', { token: a.token, body: { handle: `pg_${a.handle}`, name: 'Acme' } });
    expect(page.status).toBe(201);
    expect(page.body.kind).toBe('page');
    const r = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: page.body.handle } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('pages_cannot_invite');
    const p = await profileOf(h, a, page.body.handle);
    expect(p.body.primaryAction).toBe('follow');
  });

  it('the connection cap: a member at the cap can neither send nor be invited; others see Message', async () => {
    const capped = await signUp(h);
    for (let i = 0; i < 3; i++) await connect(h, capped, await signUp(h));
    const x = await signUp(h);
    const toCapped = await h.call('POST', '/v1/invitations', { token: x.token, body: { to: capped.handle } });
    expect(toCapped.status).toBe(403);
    expect(toCapped.body.error.code).toBe('recipient_connection_cap');
    const fromCapped = await h.call('POST', '/v1/invitations', { token: capped.token, body: { to: x.handle } });
    expect(fromCapped.body.error.code).toBe('connection_cap');
    expect((await profileOf(h, x, capped.handle)).body.primaryAction).toBe('message');
    expect((await profileOf(h, capped, x.handle)).body.primaryAction).toBe('follow');
  });
});

describe(`invitations under concurrency (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ policy: { connectionCap: 3, invitationsPerWeek: 5 } });
  });
  afterAll(async () => h?.close());

  it('two crossing invitations at the same instant make exactly one connection', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await signUp(h);
      const b = await signUp(h);
      const [r1, r2] = await Promise.all([
        h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } }),
        h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } }),
      ]);
      expect([r1.status, r2.status].sort()).toEqual([200, 201]);
      const conns = await h.call('GET', '/v1/connections', { token: a.token });
      expect(conns.body.items.length).toBe(1);
    }
  });

  it('a member at cap-1 accepting two invitations at once ends at the cap', async () => {
    const m = await signUp(h);
    for (let i = 0; i < 2; i++) await connect(h, m, await signUp(h));
    const x = await signUp(h);
    const y = await signUp(h);
    const ix = await h.call('POST', '/v1/invitations', { token: x.token, body: { to: m.handle } });
    const iy = await h.call('POST', '/v1/invitations', { token: y.token, body: { to: m.handle } });
    const rs = await Promise.all([
      h.call('POST', `/v1/invitations/${ix.body.id}/accept`, { token: m.token }),
      h.call('POST', `/v1/invitations/${iy.body.id}/accept`, { token: m.token }),
    ]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 403]);
    expect(rs.find((r) => r.status === 403)!.body.error.code).toBe('connection_cap');
    expect((await h.call('GET', '/v1/connections', { token: m.token })).body.items.length).toBe(3);
  });

  it('the weekly limit holds when requests race', async () => {
    const a = await signUp(h);
    const targets: Who[] = [];
    for (let i = 0; i < 9; i++) targets.push(await signUp(h));
    const rs = await Promise.all(targets.map((t) => h.call('POST', '/v1/invitations', { token: a.token, body: { to: t.handle } })));
    expect(rs.filter((r) => r.status === 201).length).toBe(5);
    expect(rs.filter((r) => r.status === 429).length).toBe(4);
  });
});

describe(`profiles, blocks, follows, search and suggestions (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => h?.close());

  it('2nd degree: limited profile with mutual count and sample; mutuals list', async () => {
    const v = await signUp(h);
    const m1 = await signUp(h);
    const m2 = await signUp(h);
    const t = await signUp(h, undefined, { headline: 'Hiring engineers' });
    for (const m of [m1, m2]) {
      await connect(h, v, m);
      await connect(h, m, t);
    }
    const p = await profileOf(h, v, t.handle);
    expect(p.status).toBe(200);
    expect(p.body.degree).toBe(2);
    expect(p.body.full).toBe(false);
    expect(p.body.about).toBeUndefined();
    expect(p.body.member.headline).toBe('Hiring engineers');
    expect(p.body.mutualConnections.count).toBe(2);
    expect(p.body.mutualConnections.sample.map((x: { handle: string }) => x.handle).sort()).toEqual([m1.handle, m2.handle].sort());
    expect(p.body.primaryAction).toBe('connect');
    const mu = await h.call('GET', `/v1/members/${t.handle}/mutuals?limit=1`, { token: v.token });
    expect(mu.body.items.length).toBe(1);
    expect(mu.body.nextCursor).not.toBeNull();
    const mu2 = await h.call('GET', `/v1/members/${t.handle}/mutuals?limit=1&cursor=${mu.body.nextCursor}`, { token: v.token });
    expect(mu2.body.items.length).toBe(1);
    expect(mu2.body.items[0].handle).not.toBe(mu.body.items[0].handle);
    const own = await profileOf(h, v, v.handle);
    expect(own.body).toMatchObject({ primaryAction: 'none', full: true, degree: null });
  });

  it('a free member cannot message a 3rd-degree member; the decision offers the unlocks and an introduction', async () => {
    const v = await signUp(h);
    const x = await signUp(h);
    const y = await signUp(h);
    const t = await signUp(h);
    await connect(h, v, x);
    await connect(h, x, y);
    await connect(h, y, t);
    await h.call('PATCH', '/v1/me/settings', { token: t.token, body: { messageRequests: 'on' } });
    const d = await h.call('GET', `/v1/members/${t.handle}/decisions/message`, { token: v.token });
    expect(d.status).toBe(200);
    expect(d.body.allowed).toBe(false);
    expect(d.body.reason).toBe('not_in_reach');
    expect(d.body.unlock).toEqual(
      expect.arrayContaining([
        { kind: 'upgrade', tier: 'business' },
        { kind: 'introduction', via: [x.handle, y.handle] },
      ]),
    );
  });

  it('blocking: both stop existing for each other; unblock restores nothing; re-block waits 48 hours', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    const unknown = await h.call('GET', '/v1/members/never_existed_x', { token: b.token });
    const blk = await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } });
    expect(blk.status).toBe(201);
    for (const [viewer, target] of [
      [a, b],
      [b, a],
    ] as const) {
      const p = await profileOf(h, viewer, target.handle);
      expect(p.status).toBe(404);
      expect(p.body).toEqual(unknown.body);
    }
    expect((await h.call('GET', '/v1/connections', { token: b.token })).body.items).toEqual([]);
    const inv = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    const invUnknown = await h.call('POST', '/v1/invitations', { token: b.token, body: { to: 'never_existed_x' } });
    expect(inv.status).toBe(404);
    expect(inv.body).toEqual(invUnknown.body);
    const list = await h.call('GET', '/v1/blocks', { token: a.token });
    expect(list.body.items.map((m: { handle: string }) => m.handle)).toEqual([b.handle]);
    expect((await h.call('DELETE', `/v1/blocks/${b.handle}`, { token: a.token })).status).toBe(204);
    const after = await profileOf(h, a, b.handle);
    expect(after.status).toBe(200);
    expect(after.body.degree).toBeNull();
    expect(after.body.relationship.following).toBe(false);
    const reblock = await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } });
    expect(reblock.status).toBe(403);
    expect(reblock.body.error.code).toBe('reblock_cooldown');
    h.clock.advance(48 * 3600 * 1000 + 1000);
    expect((await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } })).status).toBe(201);
  });

  it('block removes pending invitations both ways', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await h.call('POST', '/v1/invitations', { token: b.token, body: { to: a.handle } });
    await h.call('POST', '/v1/blocks', { token: a.token, body: { handle: b.handle } });
    expect((await h.call('GET', '/v1/invitations?direction=received', { token: a.token })).body.items).toEqual([]);
    expect((await h.call('GET', '/v1/invitations?direction=sent', { token: b.token })).body.items).toEqual([]);
  });

  it('deactivated members answer 404 like unknown ones, and come back on reactivation', async () => {
    const a = await signUp(h);
    const d = await signUp(h);
    await h.call('POST', '/v1/me/deactivate', { token: d.token });
    const p = await profileOf(h, a, d.handle);
    const u = await profileOf(h, a, 'never_existed_y');
    expect(p.status).toBe(404);
    expect(p.body).toEqual(u.body);
    await h.call('POST', '/v1/me/reactivate', { token: d.token });
    expect((await profileOf(h, a, d.handle)).status).toBe(200);
  });

  it('removing a connection removes the follows too', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    await connect(h, a, b);
    expect((await h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })).status).toBe(204);
    const p = await profileOf(h, a, b.handle);
    expect(p.body.relationship).toEqual({ connected: false, following: false, followedBy: false, invitation: null });
    expect((await h.call('DELETE', `/v1/connections/${b.handle}`, { token: a.token })).status).toBe(404);
  });

  it('follow and unfollow, members and pages', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const f = await h.call('POST', '/v1/follows', { token: a.token, body: { handle: b.handle } });
    expect(f.status).toBe(201);
    expect((await profileOf(h, b, a.handle)).body.relationship.followedBy).toBe(true);
    expect((await h.call('DELETE', `/v1/follows/${b.handle}`, { token: a.token })).status).toBe(204);
    expect((await profileOf(h, a, b.handle)).body.relationship.following).toBe(false);
    const page = await h.call('POST', '/v1/pages', { token: b.token, body: { handle: `page_${b.handle}`, name: 'B Corp' } });
    expect((await h.call('POST', '/v1/follows', { token: a.token, body: { handle: page.body.handle } })).status).toBe(201);
    const self = await h.call('POST', '/v1/follows', { token: a.token, body: { handle: a.handle } });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('self');
  });

  it('search: prefix of handle or name, filtered by degree, blocked members absent', async () => {
    const v = await signUp(h, 'srch_v');
    const one = await signUp(h, 'zeta_one');
    const two = await signUp(h, 'zeta_two');
    const far = await signUp(h, 'zeta_far');
    const blocked = await signUp(h, 'zeta_blk');
    await connect(h, v, one);
    await connect(h, one, two);
    await h.call('POST', '/v1/blocks', { token: blocked.token, body: { handle: v.handle } });
    const all = await h.call('GET', '/v1/search/members?q=zeta', { token: v.token });
    expect(all.status).toBe(200);
    const got = all.body.items.map((i: { member: { handle: string }; degree: number | null }) => [i.member.handle, i.degree]);
    expect(got).toEqual(
      expect.arrayContaining([
        [one.handle, 1],
        [two.handle, 2],
        [far.handle, null],
      ]),
    );
    expect(got.map((g: unknown[]) => g[0])).not.toContain(blocked.handle);
    const d2 = await h.call('GET', '/v1/search/members?q=ZETA&degree=2', { token: v.token });
    expect(d2.body.items.map((i: { member: { handle: string } }) => i.member.handle)).toEqual([two.handle]);
    const byName = await h.call('GET', '/v1/search/members?q=name%20zeta_o', { token: v.token });
    expect(byName.body.items.map((i: { member: { handle: string } }) => i.member.handle)).toEqual([one.handle]);
    expect((await h.call('GET', '/v1/search/members?q=zeta&degree=4', { token: v.token })).status).toBe(400);
    expect((await h.call('GET', '/v1/search/members?q=%25', { token: v.token })).body.items).toEqual([]);
  });

  it('suggestions: ranked by mutual connections; pending and ignoring members excluded', async () => {
    const v = await signUp(h);
    const hubs = [await signUp(h), await signUp(h)];
    for (const x of hubs) await connect(h, v, x);
    const s2 = await signUp(h);
    const s1 = await signUp(h);
    const pend = await signUp(h);
    for (const x of hubs) {
      await connect(h, x, s2);
      await connect(h, x, pend);
    }
    await connect(h, hubs[0]!, s1);
    await h.call('POST', '/v1/invitations', { token: v.token, body: { to: pend.handle } });
    const r = await h.call('GET', '/v1/suggestions', { token: v.token });
    expect(r.status).toBe(200);
    const got = r.body.items.map((i: { member: { handle: string }; mutualConnections: number }) => [i.member.handle, i.mutualConnections]);
    expect(got.slice(0, 2)).toEqual([
      [s2.handle, 2],
      [s1.handle, 1],
    ]);
    expect(got.map((g: unknown[]) => g[0])).not.toContain(pend.handle);
  });

  it('groups: create, join, leave; pages: invite an admin, who accepts', async () => {
    const a = await signUp(h);
    const b = await signUp(h);
    const g = await h.call('POST', '/v1/groups', { token: a.token, body: { name: 'Rustaceans' } });
    expect(g.status).toBe(201);
    expect(g.body).toEqual({ id: expect.any(String), name: 'Rustaceans', joinPolicy: 'open' });
    expect((await h.call('POST', `/v1/groups/${g.body.id}/members`, { token: b.token })).status).toBe(204);
    expect(h.inst.deps.graph.sharedGroupCount(Number(a.member.id), Number(b.member.id))).toBe(1);
    expect((await h.call('DELETE', `/v1/groups/${g.body.id}/members/me`, { token: b.token })).status).toBe(204);
    expect((await h.call('DELETE', `/v1/groups/${g.body.id}/members/me`, { token: b.token })).status).toBe(404);
    expect((await h.call('POST', `/v1/groups/999999/members`, { token: b.token })).status).toBe(404);
    const page = await h.call('POST', '/v1/pages', { token: a.token, body: { handle: `co_${a.handle}`, name: 'Co' } });
    const add = await h.call('POST', `/v1/pages/${page.body.handle}/admins`, { token: a.token, body: { handle: b.handle } });
    expect(add.status).toBe(201);
    expect((await h.call('POST', `/v1/pages/${page.body.handle}/admins/me/accept`, { token: b.token })).status).toBe(200);
    // GET /v1/me lists the pages the caller administers (so a client can offer "act as").
    for (const who of [a, b])
      expect((await h.call('GET', '/v1/me', { token: who.token })).body.pages.map((p: { handle: string }) => p.handle)).toEqual([page.body.handle]);
    const notAdmin = await h.call('POST', `/v1/pages/${page.body.handle}/admins`, { token: (await signUp(h)).token, body: { handle: b.handle } });
    expect(notAdmin.status).toBe(404);
    const dup = await h.call('POST', '/v1/pages', { token: a.token, body: { handle: page.body.handle.toUpperCase(), name: 'Co' } });
    expect(dup.status).toBe(409);
  });

  it('bad input changes nothing: odd handles and ids, wrong types', async () => {
    const a = await signUp(h);
    expect((await h.call('POST', '/v1/invitations', { token: a.token, body: { to: 42 } })).status).toBe(400);
    expect((await h.call('POST', '/v1/invitations/abc/accept', { token: a.token })).status).toBe(400);
    expect((await h.call('POST', '/v1/invitations/123456789/accept', { token: a.token })).status).toBe(404);
    expect((await h.call('GET', '/v1/members/%2e%2e%2fadmin', { token: a.token })).status).toBe(404);
    expect((await h.call('GET', '/v1/connections?cursor=zz', { token: a.token })).status).toBe(400);
    expect((await h.call('GET', '/v1/connections?limit=1000', { token: a.token })).status).toBe(400);
    // limit is 1 to 100 on every list (API.md); out of range is a 400 naming `limit`, not a clamp (found by a member probe)
    for (const path of ['/v1/suggestions', '/v1/connections', '/v1/conversations', '/v1/notifications', '/v1/me/credits', '/v1/search/members?q=ab']) {
      const sep = path.includes('?') ? '&' : '?';
      for (const lim of ['0', '101', '999']) {
        const r = await h.call('GET', `${path}${sep}limit=${lim}`, { token: a.token });
        expect([path, lim, r.status, r.body.error?.code, r.body.error?.details?.field]).toEqual([path, lim, 400, 'invalid_request', 'limit']);
      }
      expect([path, (await h.call('GET', `${path}${sep}limit=100`, { token: a.token })).status]).toEqual([path, 200]);
    }
    expect((await h.call('GET', '/v1/members/x', {})).status).toBe(401);
  });
});
