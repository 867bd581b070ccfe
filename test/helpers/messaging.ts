/** Helpers for the messaging tests: connections, pages and groups through the network API. */
import { sql } from 'drizzle-orm';
import { admin, signUp, type Harness } from './harness.js';

export type User = Awaited<ReturnType<typeof signUp>>;

export const idOf = (u: User | { member: { id: string } }) => Number(u.member.id);

/** Connects two members through the invitations API (a invites, b accepts). */
export async function connect(h: Harness, a: User, b: User) {
  const inv = await h.call('POST', '/v1/invitations', { token: a.token, body: { to: b.handle } });
  if (inv.status !== 201) throw new Error(`invite: ${inv.status} ${inv.text}`);
  const acc = await h.call('POST', `/v1/invitations/${inv.body.id}/accept`, { token: b.token });
  if (acc.status !== 200) throw new Error(`accept: ${acc.status} ${acc.text}`);
}

/** A page created through the API by the first admin; the others are invited and accept. */
export async function makePage(h: Harness, handle: string, admins: User[]) {
  const r = await h.call('POST', '/v1/pages', { token: admins[0]!.token, body: { handle, name: `Page ${handle}` } });
  if (r.status !== 201) throw new Error(`makePage: ${r.status} ${r.text}`);
  for (const a of admins.slice(1)) {
    const x = await h.call('POST', `/v1/pages/${handle}/admins`, { token: admins[0]!.token, body: { handle: a.handle } });
    if (x.status !== 201) throw new Error(`addAdmin: ${x.status} ${x.text}`);
    const y = await h.call('POST', `/v1/pages/${handle}/admins/me/accept`, { token: a.token });
    if (y.status !== 200) throw new Error(`acceptAdmin: ${y.status} ${y.text}`);
  }
  return { id: Number(r.body.id), handle };
}

/** A group created through the API by the first person; the others join. */
export async function makeGroup(h: Harness, people: User[]) {
  const g = await h.call('POST', '/v1/groups', { token: people[0]!.token, body: { name: 'group' } });
  if (g.status !== 201) throw new Error(`makeGroup: ${g.status} ${g.text}`);
  for (const p of people.slice(1)) {
    const j = await h.call('POST', `/v1/groups/${g.body.id}/members`, { token: p.token });
    if (j.status !== 204) throw new Error(`joinGroup: ${j.status} ${j.text}`);
  }
  return Number(g.body.id);
}

export async function setTier(h: Harness, u: User, tier: string, until: string | null = null) {
  const r = await admin(h, 'PUT', `/v1/admin/members/${u.handle}/subscription`, { tier, until });
  if (r.status !== 200) throw new Error(`setTier: ${r.status} ${r.text}`);
}

export async function settings(h: Harness, u: User, patch: Record<string, unknown>) {
  const r = await h.call('PATCH', '/v1/me/settings', { token: u.token, body: patch });
  if (r.status !== 200) throw new Error(`settings: ${r.status} ${r.text}`);
}

export function send(h: Harness, from: User, to: string | User, body: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  const handle = typeof to === 'string' ? to : to.handle;
  return h.call('POST', '/v1/messages', { token: from.token, body: { to: handle, body, ...extra }, headers });
}

export function reply(h: Harness, from: User, conversationId: string, body: string, as?: string, headers?: Record<string, string>) {
  const q = as ? `?as=${as}` : '';
  return h.call('POST', `/v1/conversations/${conversationId}/messages${q}`, { token: from.token, body: { body }, headers });
}

export async function folder(h: Harness, u: User, name: 'inbox' | 'requests', as?: string) {
  const r = await h.call('GET', `/v1/conversations?folder=${name}${as ? `&as=${as}` : ''}`, { token: u.token });
  if (r.status !== 200) throw new Error(`folder: ${r.status} ${r.text}`);
  return r.body.items as any[];
}

export async function count(h: Harness, table: string): Promise<number> {
  const res = (await h.inst.store.db.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: { n: unknown }[] };
  return Number(res.rows[0]!.n);
}

export async function credits(h: Harness, u: User): Promise<number> {
  const r = await h.call('GET', '/v1/me', { token: u.token });
  return r.body.quotas.inmailCredits;
}
