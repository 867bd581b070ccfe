#!/usr/bin/env node
/**
 * The import graph of src/ flows one way (ARCHITECTURE.md): http → services → store/policy/graph,
 * realtime beside http, no cycles at run time (type-only imports are erased, so they count only for the layers). Fails (exit 1) naming every upward import and every cycle.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const src = join(root, 'src');
/** What each layer may import besides itself. */
const ALLOWED = {
  // the contract (src/contract) is a leaf: the vocabularies and shapes the policy decides with
  policy: ['contract'],
  graph: [],
  util: [],
  store: ['util', 'policy', 'contract'],
  contract: [],
  services: ['store', 'policy', 'graph', 'util', 'contract'],
  realtime: ['services', 'store', 'policy', 'graph', 'util', 'contract', 'config'],
  http: ['services', 'realtime', 'store', 'policy', 'graph', 'util', 'contract', 'config'],
  client: ['contract'],
  cli: ['server', 'config', 'http', 'services', 'realtime', 'store', 'policy', 'graph', 'util', 'contract'],
  // src/config.ts reads the environment; src/server.ts wires everything together
  config: ['policy', 'util', 'contract'],
  server: ['config', 'http', 'services', 'realtime', 'store', 'policy', 'graph', 'util', 'contract'],
};

function files(dir, out = []) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.tsx?$/.test(p)) out.push(p);
  }
  return out;
}
const layerOf = (file) => {
  const rel = relative(src, file).split('/');
  return rel.length === 1 ? rel[0].replace(/\.tsx?$/, '') : rel[0];
};
const graph = new Map();
const problems = [];
for (const file of files(src)) {
  const text = readFileSync(file, 'utf8');
  const deps = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.ts');
    // a type-only import is erased at run time: it counts for the layers, not for cycles
    if (!/^\s*(?:import|export)\s+type\s/.test(m[0])) deps.push(target);
    const [from, to] = [layerOf(file), layerOf(target)];
    if (from !== to && !(ALLOWED[from] ?? []).includes(to))
      problems.push(`upward import: ${relative(root, file)} → ${relative(root, target)} (${from} may not import ${to})`);
  }
  graph.set(file, deps);
}
// cycles (Tarjan's strongly connected components)
let index = 0;
const idx = new Map(),
  low = new Map(),
  stack = [],
  on = new Set();
function strong(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  on.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      strong(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1)
      problems.push(
        `import cycle: ${comp
          .map((f) => relative(root, f))
          .sort()
          .join(' ↔ ')}`,
      );
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strong(v);
for (const p of problems) console.error(p);
if (problems.length) {
  console.error(`${problems.length} import problem(s)`);
  process.exit(1);
}
console.log(`imports: ${graph.size} files, one way, no cycles`);
