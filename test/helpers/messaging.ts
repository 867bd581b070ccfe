/** Helpers for the messaging tests: connections, pages and groups through the API (the typed client). */
import { sql } from 'drizzle-orm';
import type { SendMessage, SettingsPatch, Tier } from '../../src/contract/index.js';
import { rawAnswer } from './client.js';
import { ADMIN_TOKEN, signUp, type Harness } from './harness.js';

export type User = Awaited<ReturnType<typeof signUp>>;

export const idOf = (u: User | { member: { id: string } }) => Number(u.member.id);

/** Connects two members through the invitations API (a invites, b accepts). */
export async function connect(h: Harness, a: User, b: User) {
  const inv = await rawAnswer(h, a.token, (c) => c.postInvitations({ body: { to: b.handle } }));
  if (inv.status !== 201) throw new Error(`invite: ${inv.status} ${inv.text}`);
  const acc = await rawAnswer(h, b.token, (c) => c.postInvitationsByIdAccept({ params: { id: inv.body.id } }));
  if (acc.status !== 200) throw new Error(`accept: ${acc.status} ${acc.text}`);
}

/** A page created through the API by the first admin; the others are invited and accept. */
export async function makePage(h: Harness, handle: string, admins: User[]) {
  const r = await rawAnswer(h, admins[0]!.token, (c) => c.postPages({ body: { handle, name: `Page ${handle}` } }));
  if (r.status !== 201) throw new Error(`makePage: ${r.status} ${r.text}`);
  for (const a of admins.slice(1)) {
    const x = await rawAnswer(h, admins[0]!.token, (c) => c.postPagesByHandleAdmins({ params: { handle }, body: { handle: a.handle } }));
    if (x.status !== 201) throw new Error(`addAdmin: ${x.status} ${x.text}`);
    const y = await rawAnswer(h, a.token, (c) => c.postPagesByHandleAdminsMeAccept({ params: { handle } }));
    if (y.status !== 200) throw new Error(`acceptAdmin: ${y.status} ${y.text}`);
  }
  return { id: Number(r.body.id), handle };
}

/** A group created through the API by the first person; the others join. */
export async function makeGroup(h: Harness, people: User[]) {
  const g = await rawAnswer(h, people[0]!.token, (c) => c.postGroups({ body: { name: 'group' } }));
  if (g.status !== 201) throw new Error(`makeGroup: ${g.status} ${g.text}`);
  for (const p of people.slice(1)) {
    const j = await rawAnswer(h, p.token, (c) => c.postGroupsByIdMembers({ params: { id: g.body.id } }));
    if (j.status !== 204) throw new Error(`joinGroup: ${j.status} ${j.text}`);
  }
  return Number(g.body.id);
}

export async function setTier(h: Harness, u: User, tier: string, until: string | null = null) {
  const r = await rawAnswer(h, ADMIN_TOKEN, (c) =>
    c.putAdminMembersByHandleSubscription({ params: { handle: u.handle }, body: { tier: tier as Tier, until } }),
  );
  if (r.status !== 200) throw new Error(`setTier: ${r.status} ${r.text}`);
}

export async function settings(h: Harness, u: User, patch: Record<string, unknown>) {
  const r = await rawAnswer(h, u.token, (c) => c.patchMeSettings({ body: patch as SettingsPatch }));
  if (r.status !== 200) throw new Error(`settings: ${r.status} ${r.text}`);
}

export function send(h: Harness, from: User, to: string | User, body: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const handle = typeof to === 'string' ? to : to.handle;
  return rawAnswer(h, from.token, (c) => c.postMessages({ body: { to: handle, body, ...extra } as SendMessage }, { headers }));
}

export function reply(h: Harness, from: User, conversationId: string, body: string, as?: string, headers?: Record<string, string>) {
  return rawAnswer(h, from.token, (c) =>
    c.postConversationsByIdMessages({ params: { id: conversationId }, query: as ? { as } : {}, body: { body } }, { headers }),
  );
}

export async function folder(h: Harness, u: User, name: 'inbox' | 'requests', as?: string) {
  const r = await rawAnswer(h, u.token, (c) => c.getConversations({ query: { folder: name, ...(as ? { as } : {}) } }));
  if (r.status !== 200) throw new Error(`folder: ${r.status} ${r.text}`);
  return r.body.items as any[];
}

export async function count(h: Harness, table: string): Promise<number> {
  const res = (await h.inst.store.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: { n: unknown }[] };
  return Number(res.rows[0]!.n);
}

export async function credits(h: Harness, u: User): Promise<number> {
  const r = await rawAnswer(h, u.token, (c) => c.getMe());
  return r.body.quotas.inmailCredits;
}
