import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from '../../src/http/logging.js';

/** A pino logger at `level` writing its lines into `lines`, and how many children it made. */
function logger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const log = pino({ level }, out);
  const made = { children: 0 };
  const child = log.child.bind(log);
  log.child = ((...a: Parameters<typeof log.child>) => {
    made.children++;
    return child(...a);
  }) as typeof log.child;
  return { log, lines, made };
}

async function serve(level: string) {
  const l = logger(level);
  const app = Fastify({ loggerInstance: l.log, childLoggerFactory: lazyChildLogger, genReqId: () => 'req-1' });
  app.get('/quiet', () => ({ ok: true }));
  app.get('/loud', (req) => {
    req.log.warn({ what: 'x' }, 'something to say');
    return { ok: true };
  });
  await app.ready();
  return { app, ...l };
}

describe('each request’s logger, made when it logs', () => {
  it('at warn, a request that logs nothing makes no child logger', async () => {
    const s = await serve('warn');
    const before = s.made.children;
    expect((await s.app.inject({ url: '/quiet' })).statusCode).toBe(200);
    expect(s.made.children).toBe(before);
    expect(s.lines).toEqual([]);
    await s.app.close();
  });

  it('a line at an enabled level carries the request id (one child for the request)', async () => {
    const s = await serve('warn');
    const before = s.made.children;
    await s.app.inject({ url: '/loud' });
    expect(s.made.children).toBe(before + 1);
    expect(s.lines).toEqual([expect.objectContaining({ reqId: 'req-1', what: 'x', msg: 'something to say', level: 40 })]);
    await s.app.close();
  });

  it('at info, Fastify’s request lines carry the request id as before', async () => {
    const s = await serve('info');
    await s.app.inject({ url: '/quiet' });
    const msgs = s.lines.filter((l) => l.reqId === 'req-1').map((l) => l.msg);
    expect(msgs).toEqual(['incoming request', 'request completed']);
    await s.app.close();
  });
});
