// Test fixtures for f5-sync: a Consul (stand-in or CONSUL_HTTP_ADDR), an HTTPS BIG-IP stand-in with its CA on disk,
// instances registered by the test itself, and configs pointing at both.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import { silentLogger, waitFor, type ConsulClient } from '@consul-sidecars/core';
import { startBigipStandin, type BigipStandin } from '../../bigip-standin/src';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';
import { parseF5SyncConfig, type F5SyncConfig } from '../src/config';
import { createF5Sync, type F5Sync } from '../src/f5-sync';

export const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;

export function uniqueName(what: string): string {
  return `f5sync-${what}-${randomBytes(3).toString('hex')}`;
}

export interface Env {
  consul: TestConsul;
  bigip: BigipStandin;
  dir: string;
  caFile: string;
  close(): Promise<void>;
}

export async function startEnv(bigipOptions: Parameters<typeof startBigipStandin>[0] = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'f5-sync-test-'));
  const caFile = join(dir, 'bigip-ca.pem');
  const consul = await startTestConsul();
  const bigip = await startBigipStandin({ port: 0, user: 'admin', password: PASSWORD, tls: true, caOut: caFile, ...bigipOptions });
  return {
    consul,
    bigip,
    dir,
    caFile,
    async close() {
      await bigip.stop();
      await consul.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where a config file points f5-sync: an Env's stand-ins, or any Consul address and BIG-IP (the root outage test's). */
export interface ConfigTargets {
  consul: { url: string };
  bigip: { url: string };
  caFile: string;
}

/** A config file's content for the stand-ins of `env` (the password comes from the environment, as in production). */
export function fileConfig(env: ConfigTargets, pools: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    consul: { address: env.consul.url },
    bigip: { url: env.bigip.url, username: 'admin', caFile: env.caFile },
    pools,
    drainPeriod: '1s',
    debounce: { min: '50ms', max: '500ms' },
    resyncInterval: '2s',
    rateLimit: { callsPerSecond: 0 },
    retry: { attempts: 3, baseDelay: '100ms', maxDelay: '500ms' },
    leaderLock: { enabled: false },
    ...extra,
  };
}

/** The parsed config of an in-process f5-sync: fileConfig with the password, a 1 s resync and silent logs. */
export function testConfig(env: Env, pools: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): F5SyncConfig {
  return parseF5SyncConfig(fileConfig(env, pools, {
    bigip: { url: env.bigip.url, username: 'admin', password: PASSWORD, caFile: env.caFile },
    resyncInterval: '1s',
    logLevel: 'silent',
    ...extra,
  }));
}

/** An in-process f5-sync (no leader lock unless asked), started; the caller closes it. */
export async function startF5Sync(env: Env, config: F5SyncConfig, options: { useLeaderLock?: boolean } = {}): Promise<F5Sync> {
  const f5 = createF5Sync(config, { logger: silentLogger(), consul: env.consul.client, useLeaderLock: options.useLeaderLock ?? false, consulWaitSeconds: 5 });
  await f5.loop.start();
  return f5;
}

export interface Instance {
  id: string;
  service: string;
  port: number;
  tags: string[];
  address?: string;
  /** An HTTP check against the instance (a real container); otherwise a TTL check the test passes or fails. */
  httpCheck?: string;
}

/** Registers an instance as registrator would; a TTL-checked one is passed at once. */
export async function register(consul: ConsulClient, instance: Instance): Promise<void> {
  const check = instance.httpCheck
    ? { http: instance.httpCheck, interval: '1s', timeout: '1s' }
    : { ttl: '60s' };
  await consul.agent.service.register({
    id: instance.id,
    name: instance.service,
    address: instance.address ?? '127.0.0.1',
    port: instance.port,
    tags: instance.tags,
    check,
  } as never);
  if (!instance.httpCheck) await consul.agent.check.pass(`service:${instance.id}`);
}

export async function deregister(consul: ConsulClient, ...ids: string[]): Promise<void> {
  for (const id of ids) await consul.agent.service.deregister(id).catch(() => undefined);
}

/** The pool as the stand-in holds it (undefined when missing). */
export function poolOf(bigip: BigipStandin, name: string, partition = 'Common'): { minActiveMembers: number; generation: number; members: Array<Record<string, any>> } | undefined {
  return bigip.snapshot().pools.find((p) => p.fullPath === `/${partition}/${name}`) as any;
}

export function membersOf(bigip: BigipStandin, name: string, partition = 'Common'): Record<string, { priorityGroup: number; session: string; state: string; description?: string }> {
  const pool = poolOf(bigip, name, partition);
  return Object.fromEntries((pool?.members ?? []).map((m) => [m.name, { priorityGroup: m.priorityGroup, session: m.session, state: m.state, description: m.description }]));
}

export function receiving(bigip: BigipStandin, name: string, partition = 'Common'): string[] {
  try {
    return bigip.traffic(`/${partition}/${name}`).receiving;
  } catch {
    return [];
  }
}

/** iControl calls a human makes by hand (basic auth, TLS verified with the stand-in's CA). */
export function byHand(env: Env) {
  const http = axios.create({
    baseURL: env.bigip.url,
    httpsAgent: new https.Agent({ ca: env.bigip.caPem }),
    auth: { username: 'admin', password: PASSWORD },
    validateStatus: () => true,
    proxy: false,
  });
  return {
    async request(method: string, path: string, body?: unknown) {
      const response = await http.request({ method, url: path, data: body });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.data)}`);
      return response.data;
    },
  };
}

export function writeConfigFile(env: Env, config: Record<string, unknown>, name = 'f5-sync.json'): string {
  const file = join(env.dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export { waitFor };
