/**
 * The typed client (src/client) against a real server (the harness, listening on 127.0.0.1): calls
 * typed by the contract, a refusal as a typed ApiError, an idempotent retry after a lost answer,
 * and the stream resuming with ?since= after its socket drops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ApiError, createClient, type SocketCtor, type StreamEvent } from '../../src/client/index.js';
import { routes } from '../../src/contract/index.js';
import { operationId } from '../../src/http/openapi.js';
import { harness, type Harness } from '../helpers/harness.js';

describe('typed client', () => {
  let h: Harness;
  let base: string;
  const signUp = async (handle: string) => {
    const anon = createClient({ baseUrl: base });
    const r = await anon.postAccounts({ body: { handle, name: `Name ${handle}`, email: `${handle}@example.test`, password: 'correct horse battery' } });
    return { token: r.token!, member: r.member, api: createClient({ baseUrl: base, token: r.token!, WebSocket: WebSocket as unknown as SocketCtor }) };
  };
  let ada: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    h = await harness();
    base = await h.inst.app.listen({ port: 0, host: '127.0.0.1' });
    ada = await signUp('ada_client');
    bob = await signUp('bob_client');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('the route table names the operations the served document names, at the same method and path', async () => {
    const doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    for (const [id, r] of Object.entries(routes)) {
      expect(operationId(r.method, r.path), id).toBe(id);
      const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()]?.operationId, id).toBe(id);
    }
  });

  it('calls are typed by the contract: profile, invitation, message, conversation', async () => {
    const me = await ada.api.getMe();
    expect(me.member.handle).toBe('ada_client');
    const inv = await ada.api.postInvitations({ body: { to: 'bob_client' } });
    expect(inv.status).toBe('pending');
    await bob.api.postInvitationsByIdAccept({ params: { id: inv.id } });
    const p = await ada.api.getMembersByHandle({ params: { handle: 'bob_client' } });
    expect(p.degree).toBe(1);
    const sent = await ada.api.postMessages({ body: { to: 'bob_client', body: 'hello through the client' } });
    expect(sent.message.body).toBe('hello through the client');
    const list = await bob.api.getConversations({ query: { folder: 'inbox', limit: 10 } });
    expect(list.items.map((c) => c.id)).toContain(sent.conversation.id);
    expect(await bob.api.postConversationsByIdRead({ params: { id: sent.conversation.id } })).toMatchObject({ unread: 0 });
    // readUpTo is part of the type (the web's "Seen" survives a reload)
    const again = await ada.api.getConversationsById({ params: { id: sent.conversation.id } });
    expect(again.readUpTo).toBe(sent.message.id);
    expect(await ada.api.deleteFollowsByHandle({ params: { handle: 'bob_client' } })).toBeNull();
  });

  it('a refusal is a typed ApiError: status, code, reason, unlock, retryAfter', async () => {
    const carl = await signUp('carl_client');
    const e = await carl.api.postMessages({ body: { to: 'nobody_here', body: 'hi' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    const err = e as ApiError;
    expect(err.status).toBe(404);
    expect(err.code).toBe('recipient_unavailable');
    expect(err.reason).toBe('recipient_unavailable');
    const v = await ada.api.postMessages({ body: { to: 'carl_client', body: 'x'.repeat(9000) } }).catch((x: unknown) => x as ApiError);
    expect([v.status, v.code]).toEqual([400, 'too_long']);
    const anon = await createClient({ baseUrl: base })
      .getMe()
      .catch((x: unknown) => x as ApiError);
    expect([anon.status, anon.code, anon.reason]).toEqual([401, 'unauthenticated', undefined]);
    const down = await createClient({ baseUrl: 'http://127.0.0.1:1' })
      .getPolicy()
      .catch((x: unknown) => x as ApiError);
    expect([down.status, down.code]).toEqual([0, 'network_error']);
  });

  it('Idempotency-Key: an answer lost on the way is retried with the same key and replayed, nothing sent twice', async () => {
    let calls = 0;
    const keys: string[] = [];
    const flaky = async (url: string, init: RequestInit) => {
      calls++;
      keys.push(new Headers(init.headers as Record<string, string>).get('idempotency-key') ?? '');
      const res = await fetch(url, init);
      if (calls === 1) throw new TypeError('socket hang up'); // the server did the work; the answer is lost
      return res;
    };
    const api = createClient({ baseUrl: base, token: ada.token, fetch: flaky, retries: 2 });
    const sent = await api.postMessages({ body: { to: 'bob_client', body: 'exactly once' } });
    expect(calls).toBe(2);
    expect(keys[0]).toMatch(/.{16,}/);
    expect(keys[1]).toBe(keys[0]);
    const msgs = await bob.api.getConversationsByIdMessages({ params: { id: sent.conversation.id }, query: { limit: 50 } });
    expect(msgs.items.filter((m) => m.body === 'exactly once')).toHaveLength(1);
    // without retries the caller gets the key back on the error, to retry with it
    const once = createClient({
      baseUrl: base,
      token: ada.token,
      fetch: async (u, i) => {
        await fetch(u, i);
        throw new TypeError('reset');
      },
    });
    const e = await once.postMessages({ body: { to: 'bob_client', body: 'caller retries' } }).catch((x: unknown) => x as ApiError);
    expect(e.code).toBe('network_error');
    const replay = await ada.api.request('postMessages', { body: { to: 'bob_client', body: 'caller retries' } }, { idempotencyKey: e.idempotencyKey });
    expect(replay.status).toBe(201);
    const after = await bob.api.getConversationsByIdMessages({ params: { id: sent.conversation.id }, query: { limit: 50 } });
    expect(after.items.filter((m) => m.body === 'caller retries')).toHaveLength(1);
  });

  it('the stream delivers events, and after its socket drops resumes with ?since= (nothing missed)', async () => {
    const seen: StreamEvent[] = [];
    const statuses: string[] = [];
    // a WebSocket that the test can cut (as a network drop does: the client sees 1006)
    const sockets: WebSocket[] = [];
    class Tracked extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    const api = createClient({ baseUrl: base, token: bob.token, WebSocket: Tracked as unknown as SocketCtor });
    const s = api.stream({ onEvent: (e) => seen.push(e), onStatus: (x) => statuses.push(x), backoff: { baseMs: 1000, maxMs: 1000, jitterMs: 0 } });
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
      expect(ok()).toBe(true);
    };
    const has = (id: string) => () => seen.some((e) => e.type === 'message.created' && JSON.stringify(e.data).includes(`"${id}"`));
    await until(() => s.status === 'live');
    const first = await ada.api.postMessages({ body: { to: 'bob_client', body: 'live one' } });
    await until(has(first.message.id));
    expect(s.lastId).not.toBeNull();
    // the connection drops; a message is sent while the client is away
    sockets.at(-1)!.terminate();
    await until(() => s.status === 'connecting');
    const missed = await ada.api.postMessages({ body: { to: 'bob_client', body: 'sent while away' } });
    await until(has(missed.message.id));
    expect(statuses.filter((x) => x === 'live').length).toBeGreaterThanOrEqual(2);
    expect(sockets.at(-1)!.url).toContain('since=');
    // each event once: the replay starts after the last id seen
    const ids = seen.filter((e) => e.type !== 'typing').map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    s.close();
    expect(s.status).toBe('offline');
  });
});
