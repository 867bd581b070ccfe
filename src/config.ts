/** Configuration from the environment, exactly as API.md "Running" says. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PolicyError, resolvePolicy, type Policy } from './policy/policy.js';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** undefined = embedded PGlite in dataDir */
  databaseUrl?: string;
  policy: Policy;
  /** undefined = admin routes answer 401 */
  adminToken?: string;
  natsUrl?: string;
  logLevel: string;
  /** Behind a TLS-terminating proxy: trust its X-Forwarded-* headers (Secure cookie, client address). */
  trustProxy?: boolean;
  /**
   * Origins (scheme://host[:port]) besides the server's own from which a cookie-authenticated
   * unsafe request or stream upgrade is accepted (LIAISON_ORIGINS, comma separated).
   */
  origins?: string[];
  /** When set, GET /metrics answers only to `Authorization: Bearer <this>` (LIAISON_METRICS_TOKEN). */
  metricsToken?: string;
  /** PostgreSQL pool and its limits while serving (docs/OPERATIONS.md); unset = the defaults of src/server.ts */
  db?: { poolSize?: number; statementTimeoutMs?: number; connectTimeoutMs?: number; preparedStatements?: number };
  /** Requests handled at once; beyond it 503 service_unavailable at once (load shedding). 0 = no limit. */
  maxInFlight?: number;
  /** The read model's bounds: entries of each kind (LIAISON_CACHE_MEMBERS) and the backstop age (LIAISON_CACHE_TTL_MS). */
  cache?: { maxEntries?: number; ttlMs?: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (e) {
    throw new ConfigError(`LIAISON_POLICY: cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`LIAISON_POLICY: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return resolvePolicy(json);
  } catch (e) {
    if (e instanceof PolicyError) throw new ConfigError(`LIAISON_POLICY: ${e.message} (key: ${e.key})`);
    throw e;
  }
}

/** LIAISON_ORIGINS: comma-separated origins, each normalized (`https://app.example.com`); a malformed one stops startup. */
export function parseOrigins(raw: string | undefined): string[] {
  const out: string[] = [];
  for (const part of (raw ?? '').split(',')) {
    const v = part.trim();
    if (!v) continue;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(`LIAISON_ORIGINS: not an origin: ${v}`);
    }
    if (!['http:', 'https:'].includes(u.protocol) || u.origin === 'null' || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username)
      throw new ConfigError(`LIAISON_ORIGINS: not an origin (scheme://host[:port]): ${v}`);
    out.push(u.origin);
  }
  return out;
}

/** A whole number from the environment in [min, max], or undefined when unset. */
function intVar(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const text = nonEmpty(env[name]);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name}: not a whole number from ${min} to ${max}: ${text}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const portText = nonEmpty(env.PORT) ?? '3000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT: not a port number: ${portText}`);
  const policyPath = nonEmpty(env.LIAISON_POLICY);
  return {
    port,
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    dataDir: nonEmpty(env.LIAISON_DATA_DIR) ?? './.liaison',
    databaseUrl: nonEmpty(env.DATABASE_URL),
    policy: policyPath ? loadPolicyFile(policyPath) : resolvePolicy(undefined),
    adminToken: nonEmpty(env.LIAISON_ADMIN_TOKEN),
    natsUrl: nonEmpty(env.LIAISON_NATS_URL),
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    trustProxy: ['1', 'true', 'yes'].includes((env.LIAISON_TRUST_PROXY ?? '').trim().toLowerCase()),
    origins: parseOrigins(env.LIAISON_ORIGINS),
    metricsToken: nonEmpty(env.LIAISON_METRICS_TOKEN),
    db: {
      poolSize: intVar(env, 'LIAISON_DB_POOL_SIZE', 1, 1000),
      statementTimeoutMs: intVar(env, 'LIAISON_DB_STATEMENT_TIMEOUT_MS', 0, 3_600_000),
      connectTimeoutMs: intVar(env, 'LIAISON_DB_CONNECT_TIMEOUT_MS', 0, 600_000),
      preparedStatements: intVar(env, 'LIAISON_DB_PREPARED_STATEMENTS', 0, 100_000),
    },
    maxInFlight: intVar(env, 'LIAISON_MAX_IN_FLIGHT', 0, 1_000_000),
    cache: {
      maxEntries: intVar(env, 'LIAISON_CACHE_MEMBERS', 1, 100_000_000),
      ttlMs: intVar(env, 'LIAISON_CACHE_TTL_MS', 0, 86_400_000),
    },
  };
}
