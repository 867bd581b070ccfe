/** The baseline: a bare Fastify server answering every route with a small JSON, same machine, same run. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const small = { ok: true, member: { id: '1', handle: 'bare', name: 'Bare Route' }, conversation: { id: '1' } };
// Answered through a promise, as the server's async handlers are (the same path in Fastify).
const answer = () => Promise.resolve(small);
app.get('/bare', answer);
app.all('/*', answer);
const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ url }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
