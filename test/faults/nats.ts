/** A nats-server of the test's own on 127.0.0.1 (its own port), to stop and start under load. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './cluster.js';

export const NATS_BIN = process.env.LIAISON_NATS_BIN ?? '/usr/sbin/nats-server';

export function natsAvailable(): boolean {
  return existsSync(NATS_BIN);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface NatsServer {
  port: number;
  url: string;
  start(): Promise<void>;
  /** SIGKILL: the server vanishes without a goodbye, as in a crash or a network cut. */
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startNats(): Promise<NatsServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const n: NatsServer = {
    port,
    url: `nats://127.0.0.1:${port}`,
    async start() {
      const c = spawn(NATS_BIN, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      child = c;
      live.add(c);
      c.once('exit', () => live.delete(c));
      const t0 = Date.now();
      while (!(await listening(port))) {
        if (c.exitCode !== null) throw new Error(`nats-server exited ${c.exitCode}`);
        if (Date.now() - t0 > 10_000) throw new Error('nats-server did not listen within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((r) => {
        c.once('exit', () => r());
        c.kill('SIGKILL');
      });
    },
    async destroy() {
      await n.stop();
    },
  };
  await n.start();
  return n;
}
