/** The served OpenAPI document is a product: every operation named, summarized, tagged, secured, with its 4xx answers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, type Harness } from '../helpers/harness.js';

describe('GET /v1/openapi.json', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('every operation has a unique operationId, a summary, tags, its security and a 4xx response; servers is not empty', async () => {
    const doc = (await h.call('GET', '/v1/openapi.json')).body;
    expect(doc.servers?.length).toBeGreaterThan(0);
    const ids = new Set<string>();
    const problems: string[] = [];
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.operationId) problems.push(`${where}: no operationId`);
        else if (ids.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
        else ids.add(op.operationId);
        if (!op.summary) problems.push(`${where}: no summary`);
        if (!op.tags?.length) problems.push(`${where}: no tags`);
        if (!Array.isArray(op.security)) problems.push(`${where}: no security`);
        if (!Object.keys(op.responses ?? {}).some((c) => /^4/.test(c))) problems.push(`${where}: no 4xx response`);
      }
    }
    expect(problems).toEqual([]);
    expect(ids.size).toBeGreaterThan(40);
    expect(doc.paths['/v1/members/{handle}'].get.operationId).toBe('getMembersByHandle');
    // the WebSocket route too (the generator leaves it out): its query and its refusals
    expect(doc.paths['/v1/stream'].get).toMatchObject({ operationId: 'getStream', security: [{ bearer: [] }] });
    expect(doc.paths['/v1/stream'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['since', 'token']);
    expect(Object.keys(doc.paths['/v1/stream'].get.responses)).toEqual(expect.arrayContaining(['101', '400', '401']));
  });
});
