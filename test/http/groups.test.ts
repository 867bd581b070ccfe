/** Groups with a join policy and admins (DOMAIN.md 2, API.md "Pages and groups"). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { send, settings, type User } from '../helpers/messaging.js';

describe(`groups (${storageKind})`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });
  const call = (u: User, method: string, url: string, body?: unknown) => h.call(method, url, { token: u.token, body });
  const handles = (r: { body: { items: { handle: string }[] } }) => r.body.items.map((m) => m.handle).sort();

  it('approval: a join is a request; only approved members count for the group channel; admins approve, decline, remove', async () => {
    const [owner, ann, bob, cid] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const g = await call(owner, 'POST', '/v1/groups', { name: 'Search engineers', joinPolicy: 'approval' });
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ name: 'Search engineers', joinPolicy: 'approval' });
    const id = g.body.id;
    expect((await call(ann, 'POST', `/v1/groups/${id}/members`)).status).toBe(202);
    expect((await call(bob, 'POST', `/v1/groups/${id}/members`)).status).toBe(202);
    // a pending request opens no channel
    const before = await send(h, ann, owner, 'hello fellow member');
    expect(before.status).toBe(403);
    expect(before.body.error.code).toBe('not_in_reach');
    // members only see the members; only admins see the requests
    expect((await call(ann, 'GET', `/v1/groups/${id}/members`)).status).toBe(404);
    expect((await call(owner, 'GET', `/v1/groups/${id}/requests`)).body.items.map((m: { handle: string }) => m.handle).sort()).toEqual(
      [ann.handle, bob.handle].sort(),
    );
    expect((await call(owner, 'POST', `/v1/groups/${id}/requests/${ann.handle}/approve`)).status).toBe(204);
    expect((await call(owner, 'POST', `/v1/groups/${id}/requests/${bob.handle}/decline`)).status).toBe(204);
    expect(handles(await call(ann, 'GET', `/v1/groups/${id}/members`))).toEqual([owner.handle, ann.handle].sort());
    const after = await send(h, ann, owner, 'hello fellow member');
    expect(after.status).toBe(201);
    expect(after.body.message.channel).toBe('group');
    // a member who is not an admin manages nothing
    expect((await call(ann, 'PATCH', `/v1/groups/${id}`, { joinPolicy: 'open' })).status).toBe(403);
    expect((await call(ann, 'GET', `/v1/groups/${id}/requests`)).status).toBe(403);
    expect((await call(ann, 'DELETE', `/v1/groups/${id}/members/${owner.handle}`)).status).toBe(403);
    // switching to open approves what is pending
    expect((await call(cid, 'POST', `/v1/groups/${id}/members`)).status).toBe(202);
    const open = await call(owner, 'PATCH', `/v1/groups/${id}`, { joinPolicy: 'open' });
    expect(open.body.joinPolicy).toBe('open');
    expect(handles(await call(owner, 'GET', `/v1/groups/${id}/members`))).toEqual([owner.handle, ann.handle, cid.handle].sort());
    expect((await call(bob, 'POST', `/v1/groups/${id}/members`)).status).toBe(204);
    // an admin removes a member: the channel closes
    expect((await call(owner, 'DELETE', `/v1/groups/${id}/members/${bob.handle}`)).status).toBe(204);
    expect((await send(h, bob, cid, 'hi')).status).toBe(403);
  });

  it('the last admin cannot leave; an added admin can let them go', async () => {
    const [owner, ann] = [await signUp(h), await signUp(h)];
    const id = (await call(owner, 'POST', '/v1/groups', { name: 'g' })).body.id;
    expect((await call(ann, 'POST', `/v1/groups/${id}/members`)).status).toBe(204);
    const stuck = await call(owner, 'DELETE', `/v1/groups/${id}/members/me`);
    expect(stuck.status).toBe(409);
    expect(stuck.body.error.code).toBe('conflict');
    expect((await call(owner, 'POST', `/v1/groups/${id}/admins`, { handle: ann.handle })).status).toBe(204);
    expect((await call(owner, 'DELETE', `/v1/groups/${id}/members/me`)).status).toBe(204);
    // the new last admin cannot be removed either, and cannot leave
    expect((await call(ann, 'DELETE', `/v1/groups/${id}/members/me`)).status).toBe(409);
  });

  it('bad input: unknown groups and handles answer 404, a bad join policy 400, nothing changes', async () => {
    const owner = await signUp(h);
    const id = (await call(owner, 'POST', '/v1/groups', { name: 'g' })).body.id;
    expect((await call(owner, 'POST', '/v1/groups/999999/members')).status).toBe(404);
    expect((await call(owner, 'GET', '/v1/groups/999999/members')).status).toBe(404);
    expect((await call(owner, 'POST', `/v1/groups/${id}/admins`, { handle: 'no_such_member' })).status).toBe(404);
    expect((await call(owner, 'POST', `/v1/groups/${id}/requests/no_such_member/approve`)).status).toBe(404);
    const bad = await call(owner, 'PATCH', `/v1/groups/${id}`, { joinPolicy: 'closed' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect((await call(owner, 'POST', '/v1/groups', { name: 'g', joinPolicy: 'secret' })).status).toBe(400);
  });

  it('group member lists follow profileVisibility', async () => {
    const [owner, shy] = [await signUp(h), await signUp(h, undefined, { headline: 'Quiet person' })];
    await settings(h, shy, { profileVisibility: 'connections' });
    const id = (await call(owner, 'POST', '/v1/groups', { name: 'g' })).body.id;
    await call(shy, 'POST', `/v1/groups/${id}/members`);
    const list = await call(owner, 'GET', `/v1/groups/${id}/members`);
    expect(list.body.items.find((m: { handle: string }) => m.handle === shy.handle).headline).toBe('');
  });
  it('an admin answering a request learns nothing of a handle: unknown, closed, deactivated, blocking them or a stranger read alike (found by a member)', async () => {
    const [owner, blocker, sleeper, closer, stranger] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    const id = (await call(owner, 'POST', '/v1/groups', { name: 'Quiet group', joinPolicy: 'approval' })).body.id;
    // the blocker and the sleeper asked to join first (a hidden request answers as none: found by a reviewer)
    for (const u of [blocker, sleeper]) expect((await call(u, 'POST', `/v1/groups/${id}/members`)).status).toBe(202);
    expect((await call(blocker, 'POST', '/v1/blocks', { handle: owner.handle })).status).toBe(201);
    expect((await call(sleeper, 'POST', '/v1/me/deactivate')).status).toBe(200);
    expect((await call(closer, 'POST', '/v1/me/close')).status).toBe(200);
    for (const verb of ['decline', 'approve']) {
      const answers = [];
      for (const handle of ['nobody_here_at_all', closer.handle, sleeper.handle, blocker.handle, stranger.handle]) {
        const r = await call(owner, 'POST', `/v1/groups/${id}/requests/${handle}/${verb}`);
        answers.push([r.status, r.body.error]);
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size, JSON.stringify(answers)).toBe(1);
      expect(answers[0]![0]).toBe(404);
    }
  });

  it('a group whose last member closes their account is gone: nobody joins a group without an admin, and its requests go with it (found by a reviewer)', async () => {
    const [solo, later, asker] = [await signUp(h), await signUp(h), await signUp(h)];
    const open = await call(solo, 'POST', '/v1/groups', { name: 'Solo open' });
    const approval = await call(solo, 'POST', '/v1/groups', { name: 'Solo approval', joinPolicy: 'approval' });
    expect((await call(asker, 'POST', `/v1/groups/${approval.body.id}/members`)).status).toBe(202);
    expect((await call(solo, 'POST', '/v1/me/close')).status).toBe(200);
    for (const g of [open, approval]) {
      const r = await call(later, 'POST', `/v1/groups/${g.body.id}/members`);
      expect([r.status, r.body.error?.code], r.text).toEqual([404, 'not_found']);
    }
    // the asker's request went with the group: withdrawing it finds nothing
    expect((await call(asker, 'DELETE', `/v1/groups/${approval.body.id}/members/me`)).status).toBe(404);
  });
});
