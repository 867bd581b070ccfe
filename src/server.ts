/** Starting and stopping a Liaison instance: storage, migrations, the HTTP app, graceful shutdown. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import type { Deps } from './services/context.js';
import { applyToGraph, loadGraph } from './services/graph.js';
import { openStore, type Store } from './store/db.js';
import { systemClock, type Clock } from './util/clock.js';
import { packageRoot } from './util/paths.js';

export interface Instance {
  app: Awaited<ReturnType<typeof buildApp>>;
  store: Store;
  deps: Deps;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, opts: { clock?: Clock; logger?: boolean | object; listen?: boolean } = {}): Promise<Instance> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await store.migrate();
  const log = (msg: string, extra?: object) => app.log.info(extra ?? {}, msg);
  const logLater: [string, object | undefined][] = [];
  const { graph } = await loadGraph(store.db, (m, e) => logLater.push([m, e]));
  const deps: Deps = {
    store,
    policy: config.policy,
    clock: opts.clock ?? systemClock,
    graph,
    onCommit: (events) => {
      for (const ev of events) applyToGraph(graph, ev);
    },
  };
  const app = await buildApp({ config, deps, logger: opts.logger ?? false });
  for (const [m, e] of logLater) log(m, e);
  const webRoot = join(packageRoot(), 'dist', 'web');
  if (existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: 'index.html' });
  }
  let url = '';
  if (opts.listen !== false) url = await app.listen({ port: config.port, host: config.host });
  let closed = false;
  return {
    app,
    store,
    deps,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await store.close();
    },
  };
}
