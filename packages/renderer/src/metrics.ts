// The renderer's Prometheus metrics, served on /metrics.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createDaemonMetrics, createMetricsRegistry } from '@consul-sidecars/core';

export interface RendererMetrics {
  registry: Registry;
  /** Each planned render by outcome: written, unchanged, held, pending, failed, error, dry-run. */
  renders: Counter<'template' | 'result'>;
  writes: Counter<'template' | 'method'>;
  commandRuns: Counter<'group' | 'kind' | 'result'>;
  validationFailures: Counter<'group'>;
  reloadFailures: Counter<'group'>;
  guardHolds: Counter<'template' | 'reason'>;
  renderErrors: Counter<'template'>;
  rejectedValues: Counter<'what'>;
  consulErrors: Counter<string>;
  watchers: Gauge<string>;
  consulReachable: Gauge<string>;
  lastSuccess: Gauge<string>;
  /** 1 while a template has that problem (render-error, validation-failed, reload-failed, guard-held, push-failed, ...). */
  templateProblem: Gauge<'template' | 'reason'>;
  batchSeconds: Histogram<'group'>;
  /** No-reload mode: pushes of upstream members to nginx, by result. */
  upstreamPushes: Counter<'template' | 'result'>;
  /** No-reload mode: nginx came back with an empty shared dict and got every upstream again. */
  upstreamRestores: Counter<'template'>;
}

export function createRendererMetrics(registry: Registry = createMetricsRegistry('renderer')): RendererMetrics {
  const registers = [registry];
  // The metrics every daemon shares, under one name (deploy/README.md): the daemon is the scrape job.
  const shared = createDaemonMetrics(registry, { unitLabel: 'template' });
  return {
    registry,
    renders: new Counter({ name: 'renderer_renders_total', help: 'Template renders by outcome', labelNames: ['template', 'result'], registers }),
    writes: new Counter({ name: 'renderer_writes_total', help: 'Files put live, by method (rename or in-place)', labelNames: ['template', 'method'], registers }),
    commandRuns: new Counter({ name: 'renderer_command_runs_total', help: 'Validate and reload commands run', labelNames: ['group', 'kind', 'result'], registers }),
    validationFailures: new Counter({ name: 'renderer_validation_failures_total', help: 'Batches whose validate command failed (the last good files stayed live)', labelNames: ['group'], registers }),
    reloadFailures: new Counter({ name: 'renderer_reload_failures_total', help: 'Batches whose reload command failed (the previous files were put back)', labelNames: ['group'], registers }),
    guardHolds: new Counter({ name: 'renderer_guard_holds_total', help: 'Renders held by the implausible-data guard', labelNames: ['template', 'reason'], registers }),
    renderErrors: new Counter({ name: 'renderer_render_errors_total', help: 'Template execution errors', labelNames: ['template'], registers }),
    rejectedValues: new Counter({ name: 'renderer_rejected_values_total', help: 'Service names, tags and addresses dropped because they would break the config syntax', labelNames: ['what'], registers }),
    consulErrors: new Counter({ name: 'renderer_consul_errors_total', help: 'Failed Consul queries', registers }),
    watchers: new Gauge({ name: 'renderer_watchers', help: 'Distinct Consul queries being watched', registers }),
    consulReachable: shared.consulReachable,
    lastSuccess: shared.lastSuccess,
    templateProblem: new Gauge({ name: 'renderer_template_problem', help: '1 while the template has this problem (the alert rules fire on it)', labelNames: ['template', 'reason'], registers }),
    upstreamPushes: new Counter({ name: 'renderer_upstream_pushes_total', help: 'Pushes of upstream members to nginx (no-reload mode), by result', labelNames: ['template', 'result'], registers }),
    upstreamRestores: new Counter({ name: 'renderer_upstream_restores_total', help: 'nginx restarts noticed (empty shared dict) and every upstream pushed again', labelNames: ['template'], registers }),
    batchSeconds: new Histogram({ name: 'renderer_batch_seconds', help: 'Time to write, validate and reload one batch', labelNames: ['group'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers }),
  };
}
