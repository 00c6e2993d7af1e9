// What a Runner is given (config, Consul or a query factory, seams for tests) and what it emits and answers.

import type { BackoffOptions, ConsulHttpClient, Logger } from '@consul-sidecars/core';
import type { ApplyOptions, BatchOutcome } from './act/batch-apply';
import type { FileOps } from './act/file-swap';
import type { RendererConfig } from './config';
import type { RendererMetrics } from './metrics';
import type { EngineSelector } from './template-engine';
import type { QueryFactory } from './observe/watcher-pool';
import type { TemplateReport } from './template-state';

export interface BatchEvent {
  group: string;
  destinations: string[];
  outcome: BatchOutcome;
}

export interface RunnerEvents {
  /** After each planned render of a template. */
  template: [report: TemplateReport];
  /** After each applied batch (write, validate, reload), successful or not. */
  batch: [event: BatchEvent];
}

export interface RunnerOptions {
  config: RendererConfig;
  /** The Consul client the watchers read through; or `query` to supply data another way (tests). */
  consul?: ConsulHttpClient;
  query?: QueryFactory;
  logger?: Logger;
  metrics?: RendererMetrics;
  /** What `env()` reads in templates. */
  env?: NodeJS.ProcessEnv;
  /** Which engine compiles each template (default: nunjucks for every one). */
  engines?: EngineSelector;
  /** Where --dry-run prints. */
  out?: NodeJS.WritableStream;
  fileOps?: FileOps;
  run?: ApplyOptions['run'];
  /** Backoff of failed Consul queries (default 250 ms doubling to 30 s). */
  backoff?: Partial<BackoffOptions>;
}

export interface OnceReport {
  ok: boolean;
  templates: TemplateReport[];
}
