/**
 * The visibility matrix (issue 10): for every hidden state of a member T as seen by a viewer V
 * (V blocked T, T blocked V, T deactivated, T closed, T never existed) and every read path, the
 * answer is indistinguishable from "never existed" (same status, same body once the echoed handle
 * is replaced) and T appears in no list.
 *
 * Each state gets its own small world, built before T is hidden so that every path had something
 * to leak: V1 is connected to T and to X (T is a mutual of V1 and X), V2 received an invitation
 * and a message request from T, V3 sent both to T, V4 is a 2nd-degree stranger (T is a suggestion
 * and a search hit). Each check is counted per cell; the counts are printed at the end.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, signUp, storageKind, type Harness } from '../helpers/harness.js';
import { connect, makeGroup, type User } from '../helpers/messaging.js';
import { openStream, type StreamClient } from '../realtime/client.js';

const STATES = ['viewer_blocked', 'member_blocked', 'deactivated', 'closed', 'never_existed'] as const;
type State = (typeof STATES)[number];

const PATHS = [
  'profile',
  'mutuals_with_member',
  'mutuals_with_third',
  'connections_list',
  'search',
  'suggestions',
  'message_decision',
  'invitations_lists',
  'conversations',
  'messages',
  'stream',
  'post_messages_error',
  'post_invitations_error',
  'post_follows_error',
] as const;
type Path = (typeof PATHS)[number];

/**
 * Leaks found by this matrix and not fixed yet (owned by src/services/conversations.ts): an OPEN
 * conversation with a member who since deactivated or closed stays in the folder, and reads
 * (GET /v1/conversations/:id and /messages) with that member's handle, name and status. These
 * cells are `it.fails`: they turn red the day the leak is fixed, to be moved back to `it`.
 */
const KNOWN_LEAKS = new Set<string>(); // none: a cell that leaks fails its test

const tally = new Map<string, number>();
const count = (s: State, p: Path, n = 1) => tally.set(`${s}|${p}`, (tally.get(`${s}|${p}`) ?? 0) + n);

let h: Harness;
let base: string;
const sockets: StreamClient[] = [];
let worldSeq = 0;

interface World {
  state: State;
  /** the handle asked about: T's, or a ghost's when T never existed */
  target: string;
  /** T's id (null when it never existed) */
  targetId: string | null;
  /** a handle that never existed, asked the same questions */
  ghost: string;
  x: User;
  viewers: User[];
  t: User | null;
  /** conversations each viewer had with T before it was hidden */
  convs: Map<string, string>;
  /** the head of the event log when T was hidden */
  hiddenAt: number;
}

async function headEventId(): Promise<number> {
  const r = (await h.inst.store.db.execute(sql`select coalesce(max(id), 0)::bigint as id from events`)) as unknown as { rows: { id: unknown }[] };
  return Number(r.rows[0]!.id);
}

async function ok(r: Promise<{ status: number; text: string }>, status: number) {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x as any;
}

/** Builds the world of one state; T is hidden at the end. */
async function buildWorld(state: State): Promise<World> {
  const p = `v${++worldSeq}${state.slice(0, 3)}`;
  const x = await signUp(h, `${p}_x`);
  const viewers = [await signUp(h, `${p}_v1`), await signUp(h, `${p}_v2`), await signUp(h, `${p}_v3`), await signUp(h, `${p}_v4`)];
  const [v1, v2, v3, v4] = viewers as [User, User, User, User];
  const ghost = `${p}_ghost`;
  const convs = new Map<string, string>();
  await connect(h, v1, x);
  await connect(h, v4, x);
  let t: User | null = null;
  if (state !== 'never_existed') {
    t = await signUp(h, `${p}_t`, { name: `Target ${p}` });
    await connect(h, t, x);
    await connect(h, v1, t);
    await makeGroup(h, [t, v2, v3]);
    // T -> V2: an invitation and a message request; V3 -> T: the same the other way.
    await ok(h.call('POST', '/v1/invitations', { token: t.token, body: { to: v2.handle, note: null } }), 201);
    await ok(h.call('POST', '/v1/invitations', { token: v3.token, body: { to: t.handle } }), 201);
    const m2 = await ok(h.call('POST', '/v1/messages', { token: t.token, body: { to: v2.handle, body: `hello from ${t.handle}` } }), 201);
    const m3 = await ok(h.call('POST', '/v1/messages', { token: v3.token, body: { to: t.handle, body: 'hello T' } }), 201);
    const m1 = await ok(h.call('POST', '/v1/messages', { token: v1.token, body: { to: t.handle, body: 'hi connection' } }), 201);
    await ok(h.call('POST', `/v1/conversations/${m1.body.conversation.id}/messages`, { token: t.token, body: { body: 'hi back' } }), 201);
    convs.set(v1.handle, m1.body.conversation.id);
    convs.set(v2.handle, m2.body.conversation.id);
    convs.set(v3.handle, m3.body.conversation.id);
    // Before hiding, T is visible on the paths the matrix checks (so an empty answer later means something).
    const before = await h.call('GET', `/v1/members/${x.handle}/mutuals`, { token: v1.token });
    expect(before.body.items.map((m: any) => m.handle)).toContain(t.handle);
    const req2 = await h.call('GET', '/v1/conversations?folder=requests', { token: v2.token });
    expect(req2.text, 'V2 has a request from T').toContain(t.handle);
    const inbox3 = await h.call('GET', '/v1/conversations?folder=inbox', { token: v3.token });
    expect(inbox3.text, 'V3 has its request to T').toContain(t.handle);
    const inv2 = await h.call('GET', '/v1/invitations?direction=received', { token: v2.token });
    expect(inv2.text).toContain(t.handle);
    const sug = await h.call('GET', '/v1/suggestions', { token: v4.token });
    expect(sug.body.items.map((s: any) => s.member.handle)).toContain(t.handle);
  }
  const hiddenAt = await headEventId();
  switch (state) {
    case 'viewer_blocked':
      for (const v of viewers) await ok(h.call('POST', '/v1/blocks', { token: v.token, body: { handle: t!.handle } }), 201);
      break;
    case 'member_blocked':
      for (const v of viewers) await ok(h.call('POST', '/v1/blocks', { token: t!.token, body: { handle: v.handle } }), 201);
      break;
    case 'deactivated':
      await ok(h.call('POST', '/v1/me/deactivate', { token: t!.token }), 200);
      break;
    case 'closed':
      await ok(h.call('POST', '/v1/me/close', { token: t!.token }), 200);
      break;
    case 'never_existed':
      break;
  }
  return {
    state,
    target: t ? t.handle : `${p}_never`,
    targetId: t ? String(t.member.id) : null,
    ghost,
    x,
    viewers,
    t,
    convs,
    hiddenAt,
  };
}

/** A body as text with the echoed handle replaced, so T's answer can be compared with the ghost's. */
function norm(text: string, handle: string, ghost: string): string {
  return text.split(handle).join('<handle>').split(ghost).join('<handle>');
}

/** T's answer and the ghost's: same status, same body apart from the echoed handle. */
async function same(w: World, path: Path, viewer: User, req: (handle: string) => Promise<{ status: number; text: string }>) {
  const a = await req(w.target);
  const b = await req(w.ghost);
  expect(a.status, `${w.state} ${path}: ${a.text} vs ${b.text}`).toBe(b.status);
  expect(norm(a.text, w.target, w.ghost), `${w.state} ${path} as ${viewer.handle}`).toBe(norm(b.text, w.target, w.ghost));
  expect(a.status).toBeGreaterThanOrEqual(200);
  expect(a.status).toBeLessThan(500);
  count(w.state, path);
  return a;
}

/** T appears nowhere in a list answer (neither its handle nor its id as a member). */
function absent(w: World, path: Path, r: { status: number; text: string; body: any }) {
  expect(r.status, r.text).toBe(200);
  expect(r.text.includes(w.target), `${w.state} ${path}: ${r.text}`).toBe(false);
  if (w.t) expect(r.text.includes(`"name":"${w.t.member.name}"`), `${w.state} ${path}: ${r.text}`).toBe(false);
  count(w.state, path);
}

/** Every member object (one with an id and a handle) anywhere in a value. */
function membersIn(v: unknown, out: { id: string; handle: string }[] = []): { id: string; handle: string }[] {
  if (Array.isArray(v)) for (const x of v) membersIn(x, out);
  else if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.id === 'string' && typeof o.handle === 'string') out.push({ id: o.id, handle: o.handle });
    for (const x of Object.values(o)) membersIn(x, out);
  }
  return out;
}

const get = (u: User, url: string) => h.call('GET', url, { token: u.token });

beforeAll(async () => {
  h = await harness();
  base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  const lines = [`visibility matrix (${storageKind}): cases checked per cell`];
  lines.push(['state'.padEnd(16), ...PATHS.map((p) => p.padEnd(Math.max(6, p.length)))].join(' '));
  let total = 0;
  for (const s of STATES) {
    lines.push(
      [s.padEnd(16), ...PATHS.map((p) => `${tally.get(`${s}|${p}`) ?? 0}${KNOWN_LEAKS.has(`${s}|${p}`) ? ' LEAK' : ''}`.padEnd(Math.max(6, p.length)))].join(
        ' ',
      ),
    );
    for (const p of PATHS) total += tally.get(`${s}|${p}`) ?? 0;
  }
  lines.push(`(LEAK: a known leak, test marked it.fails; see KNOWN_LEAKS)`);
  lines.push(`visibility matrix: ${total} cases over ${STATES.length * PATHS.length} cells`);
  console.log(lines.join('\n'));
  await h?.close();
});

describe.each(STATES)('a member hidden because: %s', (state) => {
  let w: World;
  const cell = (path: Path) => (KNOWN_LEAKS.has(`${state}|${path}`) ? it.fails : it);
  beforeAll(async () => {
    w = await buildWorld(state);
  }, 120_000);

  it('profile: GET /v1/members/:handle answers exactly as for an unknown handle', async () => {
    for (const v of w.viewers) {
      const r = await same(w, 'profile', v, (hd) => get(v, `/v1/members/${hd}`));
      expect(r.status).toBe(404);
      // case and encoding variants of the handle too
      await same(w, 'profile', v, (hd) => get(v, `/v1/members/${hd.toUpperCase()}`));
      await same(w, 'profile', v, (hd) => get(v, `/v1/members/${encodeURIComponent(hd)}%20`));
    }
  });

  it('mutuals with the member: 404 like an unknown handle', async () => {
    for (const v of w.viewers) await same(w, 'mutuals_with_member', v, (hd) => get(v, `/v1/members/${hd}/mutuals`));
  });

  it("mutuals with a third member, and that member's profile: the hidden member is not counted or listed", async () => {
    for (const v of [w.viewers[0]!, w.viewers[3]!]) {
      absent(w, 'mutuals_with_third', await get(v, `/v1/members/${w.x.handle}/mutuals`));
      absent(w, 'mutuals_with_third', await get(v, `/v1/members/${w.x.handle}/mutuals?limit=100`));
      const prof = await get(v, `/v1/members/${w.x.handle}`);
      absent(w, 'mutuals_with_third', prof);
      // V1 and X share no visible connection once T is hidden; V4 and X are connected (no mutuals shown either way).
      expect(prof.body.mutualConnections.count, `${state}: ${prof.text}`).toBe(0);
    }
  });

  it('connections lists: mine, and the mutuals other members show', async () => {
    for (const v of w.viewers) absent(w, 'connections_list', await get(v, '/v1/connections?limit=100'));
    // X's view of V1 lists their shared connections: T is one only if it is visible to X (deactivated/closed: never)
    if (state === 'deactivated' || state === 'closed' || state === 'never_existed')
      absent(w, 'connections_list', await get(w.x, `/v1/members/${w.viewers[0]!.handle}/mutuals`));
  });

  it('search: by handle, by name, by prefix, every degree filter', async () => {
    for (const v of w.viewers) {
      // Word search answers by the words of the query, so T's handle and the ghost's (different words)
      // find different look-alikes: the check is that T is never among them, not equal answers.
      absent(w, 'search', await get(v, `/v1/search/members?q=${w.target}&limit=100`));
      absent(w, 'search', await get(v, `/v1/search/members?q=${encodeURIComponent(w.target.slice(0, -1))}&limit=100`));
      absent(w, 'search', await get(v, `/v1/search/members?q=Target&limit=100`));
      for (const d of ['1', '2', '3', '1,2,3']) absent(w, 'search', await get(v, `/v1/search/members?q=${w.target}&degree=${d}`));
    }
  });

  it('suggestions: the hidden member is never suggested', async () => {
    for (const v of w.viewers) absent(w, 'suggestions', await get(v, '/v1/suggestions?limit=100'));
  });

  it('message decision: "why can\'t I message X?" answers exactly as for an unknown handle', async () => {
    for (const v of w.viewers) {
      const r = await same(w, 'message_decision', v, (hd) => get(v, `/v1/members/${hd}/decisions/message`));
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toMatchObject({ allowed: false, reason: 'recipient_unavailable', unlock: [] });
    }
  });

  it('invitations lists: received and sent', async () => {
    for (const v of w.viewers) {
      absent(w, 'invitations_lists', await get(v, '/v1/invitations?direction=received&limit=100'));
      absent(w, 'invitations_lists', await get(v, '/v1/invitations?direction=sent&limit=100'));
      absent(w, 'invitations_lists', await get(v, '/v1/invitations'));
    }
  });

  cell('conversations')('conversations: neither folder lists a conversation with the hidden member', async () => {
    for (const v of w.viewers) {
      absent(w, 'conversations', await get(v, '/v1/conversations?folder=inbox&limit=100'));
      absent(w, 'conversations', await get(v, '/v1/conversations?folder=requests&limit=100'));
      absent(w, 'conversations', await get(v, '/v1/conversations'));
    }
  });

  cell('messages')('messages: an old conversation with the hidden member reads like one that never existed', async () => {
    const unknown = '999999999';
    for (const v of w.viewers) {
      const id = w.convs.get(v.handle);
      if (!id) {
        // no conversation with T: a made-up id still answers alike
        const r = await get(v, `/v1/conversations/${unknown}/messages`);
        expect(r.status).toBe(404);
        count(state, 'messages');
        continue;
      }
      for (const suffix of ['', '/messages']) {
        const a = await get(v, `/v1/conversations/${id}${suffix}`);
        const b = await get(v, `/v1/conversations/${unknown}${suffix}`);
        expect(a.status, `${state}: ${a.text}`).toBe(b.status);
        expect(a.text).toBe(b.text);
        count(state, 'messages');
      }
      const post = await h.call('POST', `/v1/conversations/${id}/messages`, { token: v.token, body: { body: 'still there?' } });
      const postUnknown = await h.call('POST', `/v1/conversations/${unknown}/messages`, { token: v.token, body: { body: 'still there?' } });
      expect(post.status, `${state}: ${post.text}`).toBe(postUnknown.status);
      expect(post.text).toBe(postUnknown.text);
      count(state, 'messages');
    }
  });

  it('stream: nothing from or about the hidden member reaches the viewer, live or replayed', async () => {
    const clients: StreamClient[] = [];
    for (const v of w.viewers) {
      const live = await openStream(base, { token: v.token });
      const replay = await openStream(base, { token: v.token, since: String(w.hiddenAt) });
      sockets.push(live, replay);
      clients.push(live, replay);
    }
    // T tries every way to reach the viewers (only possible while T can still act: the block states).
    if (w.t && (state === 'viewer_blocked' || state === 'member_blocked')) {
      for (const v of w.viewers) {
        const m = await h.call('POST', '/v1/messages', { token: w.t.token, body: { to: v.handle, body: `sneaky ${w.t.handle}` } });
        expect(m.status).toBe(404);
        const i = await h.call('POST', '/v1/invitations', { token: w.t.token, body: { to: v.handle } });
        expect(i.status).toBe(404);
        const c = w.convs.get(v.handle);
        if (c) {
          const r = await h.call('POST', `/v1/conversations/${c}/messages`, { token: w.t.token, body: { body: `sneaky ${w.t.handle}` } });
          expect(r.status).toBe(404);
        }
      }
      const tws = await openStream(base, { token: w.t.token });
      sockets.push(tws);
      for (const c of w.convs.values()) tws.send({ type: 'typing', conversationId: c });
    }
    // A sentinel: X messages every viewer; once that arrives, anything T sent would have too.
    const sentinel = `sentinel ${state}`;
    for (const v of w.viewers) {
      const r = await h.call('POST', '/v1/messages', { token: w.x.token, body: { to: v.handle, body: sentinel } });
      expect([201, 403]).toContain(r.status);
    }
    await new Promise((r) => setTimeout(r, 150));
    for (const c of clients) {
      const text = JSON.stringify(c.frames);
      expect(text.includes(w.target), `${state}: ${text}`).toBe(false);
      if (w.targetId)
        expect(
          membersIn(c.frames).filter((m) => m.id === w.targetId),
          `${state}: ${text}`,
        ).toEqual([]);
      count(state, 'stream');
    }
  });

  it('POST /v1/messages: the refusal is the one an unknown handle gets', async () => {
    for (const v of w.viewers) {
      const r = await same(w, 'post_messages_error', v, (hd) => h.call('POST', '/v1/messages', { token: v.token, body: { to: hd, body: 'hello?' } }));
      expect(JSON.parse(r.text).error).toMatchObject({ code: 'recipient_unavailable' });
      await same(w, 'post_messages_error', v, (hd) =>
        h.call('POST', '/v1/messages', { token: v.token, body: { to: hd, body: 'hello?', subject: 'Hi', channel: 'inmail' } }),
      );
    }
  });

  it('POST /v1/invitations: the refusal is the one an unknown handle gets (with or without note / e-mail)', async () => {
    for (const v of w.viewers) {
      const r = await same(w, 'post_invitations_error', v, (hd) => h.call('POST', '/v1/invitations', { token: v.token, body: { to: hd } }));
      expect(JSON.parse(r.text).error).toMatchObject({ code: 'recipient_unavailable' });
      await same(w, 'post_invitations_error', v, (hd) =>
        h.call('POST', '/v1/invitations', { token: v.token, body: { to: hd, note: 'we met', email: `${w.target}@example.test` } }),
      );
    }
  });

  it('POST /v1/follows and DELETE on the hidden member: answered like an unknown handle', async () => {
    for (const v of w.viewers) {
      await same(w, 'post_follows_error', v, (hd) => h.call('POST', '/v1/follows', { token: v.token, body: { handle: hd } }));
      await same(w, 'post_follows_error', v, (hd) => h.call('DELETE', `/v1/follows/${hd}`, { token: v.token }));
      await same(w, 'post_follows_error', v, (hd) => h.call('DELETE', `/v1/connections/${hd}`, { token: v.token }));
    }
  });
});
