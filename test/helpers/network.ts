import { expect } from 'vitest';
import type { Harness } from './harness.js';

export interface Who {
  token: string;
  handle: string;
  member: { id: string; handle: string };
}

/** A invites B and B accepts: connected. */
export async function connect(h: Harness, a: Who, b: Who): Promise<void> {
  const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
  expect(inv.status, inv.text).toBe(201);
  const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token });
  expect(acc.status, acc.text).toBe(200);
}

export async function profileOf(h: Harness, viewer: Who, handle: string) {
  return h.call('GET', `/v1/members/${handle}`, { token: viewer.token });
}
