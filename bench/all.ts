/**
 * npm run bench — every benchmark in turn (graph, policy decisions, read model memory, profile views, message sends, realtime, mixed
 * load on two instances, scaling simulation), each bounded, then one summary table at the top of
 * bench/RESULTS.md: every target row (ours, baseline, ratio) from the sections of this run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { machine, ROOT, writeSection } from './lib.js';

const BENCHES: { name: string; script: string; section: string; args?: string[]; env?: Record<string, string> }[] = [
  {
    name: 'graph',
    script: 'graph.js',
    section: 'Graph index',
    args: ['--expose-gc', '--max-old-space-size=16000'],
    env: { BENCH_GRAPH_GL_BUILD_BUDGET_S: '60' },
  },
  { name: 'policy', script: 'policy.js', section: 'Policy decisions' },
  { name: 'readmodel', script: 'readmodel.js', section: 'Read model memory', args: ['--expose-gc'] },
  { name: 'profile', script: 'profile.js', section: 'Profile views' },
  { name: 'messages', script: 'messages.js', section: 'Message sends' },
  { name: 'timing', script: 'timing.js', section: 'Hidden vs unknown timing' },
  { name: 'realtime', script: 'realtime.js', section: 'Realtime delivery' },
  { name: 'mixed', script: 'mixed.js', section: 'Mixed load on two instances' },
  { name: 'scaling', script: 'scaling.js', section: 'Scaling simulation' },
  { name: 'export', script: 'export.js', section: 'Export memory', args: ['--expose-gc'] },
];

const only = process.argv.slice(2);
const status: string[] = [];
const t0 = Date.now();
for (const b of BENCHES) {
  if (only.length && !only.includes(b.name)) continue;
  const started = Date.now();
  console.log(`\n=== bench:${b.name}`);
  const r = spawnSync(process.execPath, [...(b.args ?? []), path.join(ROOT, 'dist', 'bench', b.script)], {
    cwd: ROOT,
    stdio: 'inherit',
    // Bounded so the whole run stays within ~15 minutes on 2 cores; override any of these.
    env: { BENCH_SECONDS: '10', BENCH_MESSAGES: '500', BENCH_TYPING: '1000', ...(b.env ?? {}), ...process.env },
    timeout: 8 * 60_000,
  });
  status.push(`| ${b.name} | ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} | ${((Date.now() - started) / 1000).toFixed(0)} s |`);
}

// The summary: every line of the sections that states a target. Benches not run this time keep
// their status row from the previous summary (`npm run bench -- messages mixed` reruns two).
const text = readFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), 'utf8');
if (only.length) {
  const previous = new Map([...text.matchAll(/^\| (\w+) \| (ok|FAILED[^|]*) \| (\d+ s) \|$/gm)].map((m) => [m[1], m[0]]));
  const ran = new Map(status.map((row) => [row.split('|')[1].trim(), row]));
  status.length = 0;
  for (const b of BENCHES) {
    const row = ran.get(b.name) ?? previous.get(b.name);
    if (row) status.push(row);
  }
}
const targets: string[] = [];
for (const b of BENCHES) {
  const start = text.search(new RegExp(`^## ${b.section}\\s*$`, 'm'));
  if (start < 0) continue;
  const rest = text.slice(start + 1);
  const end = rest.search(/^## /m);
  const body = end >= 0 ? rest.slice(0, end) : rest;
  for (const line of body.split('\n'))
    if (/\b(met|MISSED)\b/.test(line) && !/^\s*$/.test(line))
      targets.push(
        `- **${b.section}**: ${line
          .replace(/^[-|\s]+/, '')
          .replace(/\|\s*$/, '')
          .replace(/\s*\|\s*/g, ' · ')}`,
      );
}
writeSection(
  'Summary',
  [
    `${machine()}. ` +
      (only.length
        ? `This summary was refreshed by \`npm run bench -- ${only.join(' ')}\` (${((Date.now() - t0) / 60000).toFixed(1)} min); the other rows are from the previous full run. `
        : `\`npm run bench\` took ${((Date.now() - t0) / 60000).toFixed(1)} min. `) +
      'Every figure below is next to its baseline measured in the same run of its benchmark (details in the sections that follow).',
    '',
    '| benchmark | status | time |',
    '|---|---|---|',
    ...status,
    '',
    'Targets:',
    '',
    ...targets,
  ].join('\n'),
  true,
);
console.log('\nwrote the summary to bench/RESULTS.md');
