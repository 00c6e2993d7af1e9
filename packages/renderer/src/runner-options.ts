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

/** A template's result in one pass of its group (exec mode starts and signals its child from these). */
export interface PassTemplate {
  destination: string;
  /** `written`: new bytes went live (or were printed by --dry-run); `unchanged`: live and equal to this render; `pending`: not live (waiting, held, failed). */
  result: 'written' | 'unchanged' | 'pending';
}

export interface PassEvent {
  group: string;
  templates: PassTemplate[];
}

export interface RunnerEvents {
  /** After each planned render of a template. */
  template: [report: TemplateReport];
  /** After each applied batch (write, validate, reload), successful or not. */
  batch: [event: BatchEvent];
  /** After each pass over a group (render, plan, act), with every template of the group. */
  pass: [event: PassEvent];
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
