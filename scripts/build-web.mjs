// Builds the web UI with Vite when it is present (web/index.html), into dist/web.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (!existsSync('web/index.html')) {
  console.log('build-web: no web/index.html, skipping');
  process.exit(0);
}
const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
