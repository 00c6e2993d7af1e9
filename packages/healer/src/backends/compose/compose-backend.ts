// The first scaling backend: docker-compose runs (`up --scale`) and the Docker API (list by compose labels, remove by id).

import type { Logger } from 'pino';
import type { ScaleOptions, ScaleResult, ScalingBackend, ServiceContainer } from '../scaling-backend';
import { listComposeContainers, removeContainers } from './compose-containers';
import { ComposeRunner } from './compose-runner';
import type { ComposeTarget } from './compose-target';

export interface ComposeBackendOptions {
  /** Runs docker-compose (default: `docker-compose` on PATH). */
  runner?: ComposeRunner;
  logger?: Logger;
  /** Tests may wrap the Docker side. */
  listContainers?: (target: ComposeTarget) => Promise<ServiceContainer[]>;
  removeContainers?: (target: ComposeTarget, ids: readonly string[], hostOf?: (id: string) => string | undefined) => Promise<void>;
}

/** How many trailing lines of compose's stderr go into a report and an alert. */
const OUTPUT_LINES = 3;

export class ComposeBackend implements ScalingBackend<ComposeTarget> {
  readonly kind = 'compose';
  readonly runner: ComposeRunner;
  private readonly list: NonNullable<ComposeBackendOptions['listContainers']>;
  private readonly removeByIds: NonNullable<ComposeBackendOptions['removeContainers']>;

  constructor(options: ComposeBackendOptions = {}) {
    this.runner = options.runner ?? new ComposeRunner({ logger: options.logger });
    this.list = options.listContainers ?? listComposeContainers;
    this.removeByIds = options.removeContainers ?? removeContainers;
  }

  observe(target: ComposeTarget): Promise<ServiceContainer[]> {
    return this.list(target);
  }

  async remove(target: ComposeTarget, ids: readonly string[]): Promise<void> {
    if (!target.hosts) return this.removeByIds(target, ids);
    // On several hosts, each container is removed through its own host's engine.
    const where = new Map((await this.list(target)).map((c) => [c.id, c.host]));
    return this.removeByIds(target, ids, (id) => where.get(id));
  }

  hostsOf(target: ComposeTarget): string[] {
    return Object.keys(target.hosts ?? {});
  }

  /** One compose run; on several hosts, one per placement (that host's engine, that host's total), in order. */
  async scale(target: ComposeTarget, total: number, options: ScaleOptions): Promise<ScaleResult> {
    if (!target.hosts) return this.scaleOne(target, total, options.timeoutMs);
    for (const placement of options.placements ?? []) {
      const engine = target.hosts[placement.host];
      if (engine === undefined) return { ok: false, failure: 'compose-error', deterministic: true, output: '', message: `no engine for host ${placement.host} in scale.hosts` };
      const result = await this.scaleOne({ ...target, dockerHost: engine }, placement.total, options.timeoutMs);
      if (!result.ok) return result;
    }
    return { ok: true };
  }

  private async scaleOne(target: ComposeTarget, total: number, timeoutMs: number): Promise<ScaleResult> {
    const result = await this.runner.scale(target, total, timeoutMs);
    if (result.ok) return { ok: true };
    const output = result.stderr.trim().split('\n').slice(-OUTPUT_LINES).join(' | ');
    return {
      ok: false,
      failure: result.failure ?? 'compose-error',
      deterministic: result.deterministic,
      output,
      message: output || `exit ${result.exitCode}`,
    };
  }

  describeScale(target: ComposeTarget, total: number): string {
    return `docker-compose -p ${target.composeProject} up --scale ${target.composeService}=${total}`;
  }
}
