import { expect } from 'vitest';
import { rawAnswer } from './client.js';
import type { Harness } from './harness.js';

export interface Who {
  token: string;
  handle: string;
  member: { id: string; handle: string };
}

/** A invites B and B accepts: connected. */
export async function connect(h: Harness, a: Who, b: Who): Promise<void> {
  const inv = await rawAnswer(h, a.token, (c) => c.postInvitations({ body: { to: b.handle } }));
  expect(inv.status, inv.text).toBe(201);
  const acc = await rawAnswer(h, b.token, (c) => c.postInvitationsByIdAccept({ params: { id: inv.body.id } }));
  expect(acc.status, acc.text).toBe(200);
}

export async function profileOf(h: Harness, viewer: Who, handle: string) {
  return rawAnswer(h, viewer.token, (c) => c.getMembersByHandle({ params: { handle } }));
}
