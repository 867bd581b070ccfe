/**
 * The served OpenAPI document (a product: third parties generate clients from it) and its pages at /docs.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ErrorBody, STREAM_DESCRIPTION, STREAM_PATH, STREAM_SUMMARY, StreamQuery } from '../contract/index.js';
import { DOCS_CSP } from './hardening.js';

/** `GET /v1/members/:handle/mutuals` → `getMembersByHandleMutuals`: unique, stable, readable. */
export function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((p) => p !== '' && p !== 'v1')
    .map((p) => (p.startsWith(':') ? `By-${p.slice(1)}` : p))
    .flatMap((p) => p.split(/[-_.]/))
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

/** The document, built from every route's schema: each operation with its operationId and security. */
export async function openApiDocument(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Liaison API',
        version: '1',
        description: 'The HTTP contract of Liaison (API.md).',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'this server' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
    // The document is a product (third parties generate clients from it): every operation gets an
    // operationId (the typed client's function names) and its security, stated even when public.
    transform: ({ schema, url, route }) => {
      const s = { ...(schema as Record<string, unknown>) };
      const method = Array.isArray(route.method) ? route.method[0] : route.method;
      s.operationId ??= operationId(method, url);
      const auth = route.config?.auth ?? 'none';
      s.security ??= auth === 'none' ? [] : [{ bearer: [] }];
      return { schema: s, url };
    },
    // The stream is a WebSocket route, which the document generator leaves out: described here from
    // the contract (API.md: the document describes all of the API; found by a member reading it).
    transformObject: (doc) => {
      const o = (doc as { openapiObject: Record<string, unknown> & { paths?: Record<string, unknown> } }).openapiObject;
      o.paths = { ...(o.paths ?? {}), [STREAM_PATH]: streamOperation() };
      return o as never;
    },
  });
}

/** GET /v1/stream as an OpenAPI operation: the upgrade, its query and its refusals. */
function streamOperation() {
  return {
    get: {
      operationId: 'getStream',
      summary: STREAM_SUMMARY,
      description: STREAM_DESCRIPTION,
      tags: ['messaging'],
      security: [{ bearer: [] }],
      parameters: Object.entries(StreamQuery.properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
      responses: {
        101: { description: 'Switching Protocols: the WebSocket; frames are `{ id, type, data }`' },
        400: { description: 'Not a WebSocket upgrade, or `since` is not an event id', content: { 'application/json': { schema: ErrorBody } } },
        401: { description: 'No valid session', content: { 'application/json': { schema: ErrorBody } } },
        403: { description: 'The session cookie from another origin', content: { 'application/json': { schema: ErrorBody } } },
      },
    },
  };
}

/** swagger-ui at /docs, under its own CSP. */
export async function openApiPages(app: FastifyInstance): Promise<void> {
  // swagger-ui (/docs only) renders with inline style attributes and data: images; its own scope
  // gets a CSP that allows exactly that, everything else stays on the strict one.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
}
