// SNAT capacity, on a timer: observe the SNAT pools' members and their translation addresses' connections, plan
// (utilisation, near-exhaustion, the KV member list), act (metrics, one warning per crossing, a members PATCH).
// The seed's outage: one SNAT address ran out of source ports under load; this warns before a pool gets there.

import { errorMessage, type ConsulClient, type Logger } from '@consul-sidecars/core';
import { durationMs, poolKey, type F5SyncConfig, type SnatPoolConfig } from './config';
import type { F5SyncMetrics } from './metrics';
import { assessSnatPool, exhaustionTransition, planSnatMembers, type SnatAssessment } from './plan/snat-utilisation';
import type { IcontrolClient } from './target/bigip/icontrol-client';
import { readSnatPoolMembers, readTranslationConnections, setSnatPoolMembers } from './target/bigip/snat-stats';

export interface SnatCapacityOptions {
  config: F5SyncConfig;
  client: IcontrolClient;
  consul: ConsulClient;
  logger: Logger;
  metrics: F5SyncMetrics;
  /** False when this process may not write (not the leader, dry-run): member lists are then only compared. */
  canWrite: () => boolean;
}

/** A Consul KV value as a list of translation addresses; an error names the key and the value. */
export function parseSnatMembersValue(key: string, value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string' || item === '')) {
    throw new Error(`Consul KV ${key}: expected a JSON array of translation addresses, got ${JSON.stringify(value)}`);
  }
  return parsed as string[];
}

export class SnatCapacityWatch {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly near = new Map<string, boolean>();
  /** The last assessment of each SNAT pool (tests and /health readers). */
  readonly last = new Map<string, SnatAssessment>();

  constructor(private readonly options: SnatCapacityOptions) {}

  start(): void {
    const every = durationMs(this.options.config.snat.interval, 'snat.interval');
    const tick = () => {
      if (this.stopped) return;
      void this.check().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, every).unref();
      });
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One look at every configured SNAT pool; a pool that cannot be read keeps its last metrics and is logged. */
  async check(): Promise<SnatAssessment[]> {
    const { config, client, logger } = this.options;
    let connections: Map<string, number>;
    try {
      connections = await readTranslationConnections(client);
    } catch (err) {
      logger.error({ err: errorMessage(err), code: (err as { code?: string }).code }, 'reading SNAT translation statistics failed');
      return [];
    }
    const out: SnatAssessment[] = [];
    for (const pool of config.snat.pools) {
      try {
        out.push(this.report(await this.usage(pool, connections)));
      } catch (err) {
        logger.error({ snat_pool: poolKey(pool), err: errorMessage(err), code: (err as { code?: string }).code }, 'SNAT pool check failed; keeping the last state');
      }
    }
    return out;
  }

  private async usage(pool: SnatPoolConfig, connections: Map<string, number>): Promise<SnatAssessment> {
    const { client, config, logger } = this.options;
    let members = await readSnatPoolMembers(client, pool);
    if (pool.membersKey) {
      const entry = (await this.options.consul.kv.get(pool.membersKey)) as { Value?: string | null } | null | undefined;
      if (entry && typeof entry.Value === 'string') {
        const wanted = parseSnatMembersValue(pool.membersKey, entry.Value);
        const next = planSnatMembers(pool.partition, wanted, members);
        if (next && this.options.canWrite()) {
          await setSnatPoolMembers(client, pool, next);
          logger.info({ snat_pool: poolKey(pool), from: members, to: next, key: pool.membersKey }, 'SNAT pool members set from Consul KV');
          members = next;
        } else if (next) {
          logger.info({ snat_pool: poolKey(pool), from: members, to: next }, 'SNAT pool members differ from Consul KV; not the writer, left alone');
        }
      }
    }
    const usage = {
      pool: poolKey(pool),
      addresses: members.map((member) => member.slice(member.lastIndexOf('/') + 1)),
      connections: members.reduce((sum, member) => sum + (connections.get(member) ?? 0), 0),
    };
    return assessSnatPool(usage, { portsPerAddress: config.snat.portsPerAddress, nearExhaustionRatio: config.snat.nearExhaustionRatio });
  }

  private report(assessment: SnatAssessment): SnatAssessment {
    const { logger, metrics, config } = this.options;
    const labels = { snat_pool: assessment.pool };
    metrics.snatUtilisation.set(labels, assessment.ratio);
    metrics.snatNearExhaustion.set(labels, assessment.nearExhaustion ? 1 : 0);
    const fields = { snat_pool: assessment.pool, addresses: assessment.addresses, connections: assessment.connections, ratio: Number(assessment.ratio.toFixed(4)), threshold: config.snat.nearExhaustionRatio };
    const transition = exhaustionTransition(this.near.get(assessment.pool), assessment);
    if (transition === 'warn') logger.warn(fields, 'SNAT pool near port exhaustion: add translation addresses');
    if (transition === 'clear') logger.info(fields, 'SNAT pool below the exhaustion threshold again');
    this.near.set(assessment.pool, assessment.nearExhaustion);
    this.last.set(assessment.pool, assessment);
    return assessment;
  }
}
