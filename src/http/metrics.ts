/** Prometheus metrics (prom-client): request counts and latency by route and status, plus domain counters. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'liaison_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'liaison_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'liaison_decisions_total',
    help: 'Policy decisions by action and reason',
    labelNames: ['action', 'reason'] as const,
    registers: [this.registry],
  });
  readonly messagesSent = new Counter({
    name: 'liaison_messages_sent_total',
    help: 'Messages sent by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  readonly openSockets = new Gauge({
    name: 'liaison_open_sockets',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }
}
