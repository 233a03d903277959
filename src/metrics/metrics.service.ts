import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type SendOutcome = 'sent' | 'failed' | 'retry';

/**
 * The process's Prometheus metrics. A registry per application instance (not prom-client's
 * global one), so several apps in one process (tests) do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly smsResults = new Counter({
    name: 'smspanel_sms_results_total',
    help: 'Gateway requests by result: sent, failed (final), retry (transient, will be retried)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly gatewayLatency = new Histogram({
    name: 'smspanel_gateway_request_duration_seconds',
    help: 'Time the SMS gateway took to answer, by outcome',
    labelNames: ['gateway', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'smspanel_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'smspanel_queue_depth',
    help: 'SMS not yet in a final state (waiting, retry waiting or in flight), all users',
    registers: [this.registry],
  });

  readonly tokensAvailable = new Gauge({
    name: 'smspanel_rate_limit_tokens_available',
    help: 'Tokens in the cluster-wide bucket',
    registers: [this.registry],
  });

  readonly tokensExpired = new Counter({
    name: 'smspanel_rate_limit_tokens_expired_total',
    help: 'Tokens given up unspent: the worker could not start their requests within RATE_LIMIT_JITTER_MS of asking for them (an event-loop stall)',
    registers: [this.registry],
  });

  readonly workers = new Gauge({
    name: 'smspanel_workers',
    help: 'Live worker processes sharing the queue',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'smspanel_' });
  }

  recordSend(outcome: SendOutcome, gateway: string, seconds: number): void {
    this.smsResults.inc({ result: outcome });
    this.gatewayLatency.observe({ gateway, outcome }, seconds);
  }
}
