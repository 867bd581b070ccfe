/** The baseline: a bare Fastify route returning a small JSON, on the same machine, in the same run. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ ok: true, member: { id: '1', handle: 'bare', name: 'Bare Route' } }));
const url = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(JSON.stringify({ url }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
