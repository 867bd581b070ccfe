/** Runs the real `liaison` CLI (from source, through tsx) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');

export function runCli(args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collect(child: ChildProcess): { out: () => string } {
  let buf = '';
  child.stdout?.on('data', (d) => (buf += d));
  child.stderr?.on('data', (d) => (buf += d));
  return { out: () => buf };
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** Starts `liaison serve` and resolves with its base URL once it listens. */
export async function startProcess(env: Record<string, string | undefined>): Promise<{ url: string; child: ChildProcess; out: () => string }> {
  const child = runCli(['serve'], { PORT: '0', ...env });
  const c = collect(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start: ' + c.out())), 90_000);
    const onData = () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(c.out());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${c.out()}`));
    });
  });
  return { url, child, out: c.out };
}
