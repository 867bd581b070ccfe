import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/util/metrics.js';

/** The value of one exposition line, or undefined. */
function value(text: string, line: string): number | undefined {
  const hit = text.split('\n').find((l) => l.startsWith(line + ' '));
  return hit === undefined ? undefined : Number(hit.slice(line.length + 1));
}

describe('request metrics (tallied per request, exposed as prom-client would)', () => {
  it('counts by method, route and status; buckets cumulative, +Inf for the slowest; sum and count', async () => {
    const m = new Metrics();
    for (const s of [0.0001, 0.0007, 0.003, 7]) m.observe('GET', '/v1/members/:handle', 200, s);
    m.observe('GET', '/v1/members/:handle', 404, 0.002);
    m.observe('POST', '/v1/messages', 201, 0.02);
    const text = await m.registry.metrics();
    const labels = (method: string, route: string, status: number) => `method="${method}",route="${route}",status="${status}"`;
    const ok = labels('GET', '/v1/members/:handle', 200);
    expect(value(text, `liaison_http_requests_total{${ok}}`)).toBe(4);
    expect(value(text, `liaison_http_requests_total{${labels('GET', '/v1/members/:handle', 404)}}`)).toBe(1);
    expect(value(text, `liaison_http_requests_total{${labels('POST', '/v1/messages', 201)}}`)).toBe(1);
    const bucket = (le: string) => value(text, `liaison_http_request_duration_seconds_bucket{le="${le}",${ok}}`);
    expect([bucket('0.0005'), bucket('0.001'), bucket('0.0025'), bucket('0.005'), bucket('5'), bucket('+Inf')]).toEqual([1, 2, 2, 3, 3, 4]);
    expect(value(text, `liaison_http_request_duration_seconds_count{${ok}}`)).toBe(4);
    expect(value(text, `liaison_http_request_duration_seconds_sum{${ok}}`)).toBeCloseTo(7.0038, 6);
    expect(text).toMatch(/# TYPE liaison_http_request_duration_seconds histogram/);
    expect(text).toMatch(/# TYPE liaison_http_requests_total counter/);
  });

  it('a value on a bound falls in that bound (le is "less or equal")', async () => {
    const m = new Metrics();
    m.observe('GET', '/healthz', 200, 0.001);
    const text = await m.registry.metrics();
    expect(value(text, 'liaison_http_request_duration_seconds_bucket{le="0.0005",method="GET",route="/healthz",status="200"}')).toBe(0);
    expect(value(text, 'liaison_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz",status="200"}')).toBe(1);
  });
});
