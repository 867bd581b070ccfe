import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scratchDatabase, storageKind } from '../helpers/harness.js';
import { collect, exitOf, runCli, startProcess } from '../helpers/process.js';

const tmp = mkdtempSync(join(tmpdir(), 'liaison-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function policyFile(name: string, content: string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('LIAISON_POLICY validation at startup', () => {
  it.each([
    ['an unknown key', '{"connectionKap": 5}', 'connectionKap'],
    ['an unknown nested key', '{"tierReach": {"gold": 3}}', 'tierReach.gold'],
    ['a wrong type', '{"connectionCap": "many"}', 'connectionCap'],
    ['a wrong nested type', '{"inmailMonthlyCredits": {"career": -1}}', 'inmailMonthlyCredits.career'],
    ['bad JSON', '{"connectionCap": ', 'not valid JSON'],
  ])(
    '%s stops startup with exit 1 and a message naming it',
    async (_l, content, needle) => {
      const child = runCli(['serve'], { PORT: '0', LIAISON_POLICY: policyFile(`p${Math.random()}.json`, content), LIAISON_DATA_DIR: join(tmp, 'data-x') });
      const c = collect(child);
      expect(await exitOf(child)).toBe(1);
      expect(c.out()).toContain(needle);
    },
    60_000,
  );
});

describe(`liaison serve as a process (${storageKind})`, () => {
  it('serves /healthz and sign-up, applies the policy file, and exits 0 on SIGTERM', async () => {
    const env: Record<string, string | undefined> = {
      LIAISON_DATA_DIR: join(tmp, 'data'),
      LIAISON_POLICY: policyFile('ok.json', '{"connectionCap": 5, "invitationsPerWeek": 1, "tierReach": {"career": 3}}'),
    };
    let drop: (() => Promise<void>) | undefined;
    if (storageKind === 'postgres') {
      const db = await scratchDatabase();
      env.DATABASE_URL = db.url;
      drop = db.drop;
    } else env.DATABASE_URL = '';
    try {
      const { url, child } = await startProcess(env);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const policy = await (await fetch(`${url}/v1/policy`)).json();
      expect(policy.connectionCap).toBe(5);
      expect(policy.tierReach).toEqual({ free: 1, career: 3, business: 3, sales_navigator: 3 });
      const r = await fetch(`${url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ handle: 'proc_user', name: 'P', email: 'p@example.test', password: 'long enough pw' }),
      });
      expect(r.status).toBe(201);
      // The policy file changes behaviour with no code change: invitationsPerWeek 1 stops the second.
      const mk = async (h: string) =>
        (await (
          await fetch(`${url}/v1/accounts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ handle: h, name: h, email: `${h}@example.test`, password: 'long enough pw' }),
          })
        ).json()) as { token: string };
      const inviter = await mk('proc_inviter');
      await mk('proc_one');
      await mk('proc_two');
      const invite = (to: string) =>
        fetch(`${url}/v1/invitations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${inviter.token}` },
          body: JSON.stringify({ to }),
        });
      expect((await invite('proc_one')).status).toBe(201);
      const second = await invite('proc_two');
      expect(second.status).toBe(429);
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('weekly_invitation_limit');
      const admin = await fetch(`${url}/v1/admin/members/proc_user/restrict`, { method: 'POST' });
      expect(admin.status).toBe(401); // LIAISON_ADMIN_TOKEN unset
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
    } finally {
      await drop?.();
    }
  }, 120_000);
});
