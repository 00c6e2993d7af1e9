// Shared integration harness: a Consul (stand-in, or the real agent at CONSUL_HTTP_ADDR), registrator runs, agent reads.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { removeContainers } from '../../../test/support/web-container';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { parseRegistratorArgs } from '../src/options';
import { startRegistrator, type RegistratorDeps, type RunningRegistrator } from '../src/daemon';

export const BIN = join(__dirname, '..', 'bin', 'registrator.js');

export interface TestConsul {
  url: string;
  address: string;
  /** Undefined against a real agent (it cannot be stopped by a test). */
  standin?: ConsulStandin;
  stop(): Promise<void>;
}

export async function startTestConsul(port = 0): Promise<TestConsul> {
  const real = process.env.CONSUL_HTTP_ADDR;
  if (real) {
    const url = /^https?:\/\//.test(real) ? real : `http://${real}`;
    return { url, address: new URL(url).host, stop: async () => undefined };
  }
  const standin = await startConsulStandin({ port, node: 'standin' });
  return { url: standin.url, address: standin.address, standin, stop: () => standin.stop() };
}

/** A name no other engineer's test will use: registrator-<random>-<what>. */
export function uniqueName(what: string): string {
  return `registrator-${randomBytes(3).toString('hex')}-${what}`;
}

export interface AgentServiceView {
  ID: string;
  Service: string;
  Tags: string[] | null;
  Address: string;
  Port: number;
  Meta: Record<string, string> | null;
}

export async function consulGet<T>(consul: { url: string }, path: string): Promise<T> {
  const res = await fetch(`${consul.url}/v1${path}`, { headers: process.env.CONSUL_HTTP_TOKEN ? { 'X-Consul-Token': process.env.CONSUL_HTTP_TOKEN } : {} });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function consulPut(consul: { url: string }, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${consul.url}/v1${path}`, {
    method: 'PUT',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: process.env.CONSUL_HTTP_TOKEN ? { 'X-Consul-Token': process.env.CONSUL_HTTP_TOKEN } : {},
  });
  if (!res.ok) throw new Error(`PUT ${path}: HTTP ${res.status} ${await res.text()}`);
}

export async function agentServices(consul: { url: string }): Promise<Record<string, AgentServiceView>> {
  return consulGet<Record<string, AgentServiceView>>(consul, '/agent/services');
}

/**
 * Services owned by the registrator with this -hostname, named `${hostname}-...` (other engineers' containers run on
 * the same engine and get registered too; tests name theirs after the hostname and look at those only).
 */
export async function ownedBy(consul: { url: string }, hostname: string): Promise<AgentServiceView[]> {
  const all = await agentServices(consul);
  return Object.values(all)
    .filter((s) => s.Meta?.['registrator-node'] === hostname && s.Service.startsWith(`${hostname}-`))
    .sort((a, b) => a.ID.localeCompare(b.ID));
}

/** Waits until the registrator with `hostname` owns exactly `ids` (sorted compare); returns the services. */
export async function waitForOwned(consul: { url: string }, hostname: string, ids: string[], timeoutMs = 10_000, message?: string): Promise<AgentServiceView[]> {
  const want = JSON.stringify([...ids].sort());
  return waitFor(async () => {
    const owned = await ownedBy(consul, hostname);
    return JSON.stringify(owned.map((s) => s.ID)) === want ? owned : undefined;
  }, { timeoutMs, intervalMs: 50, message: message ?? `services of ${hostname} to be ${want}` });
}

/** An in-process registrator against `consul`, with a fast agent poll. */
export async function startInProcess(consul: TestConsul, flags: string[], deps: Partial<RegistratorDeps> = {}): Promise<RunningRegistrator> {
  const config = parseRegistratorArgs([...flags, `consul://${consul.address}`]);
  return startRegistrator(config, { logger: deps.logger ?? silentLogger(), timings: { agentPollMs: 200, ...deps.timings }, ...deps });
}

export interface ChildRegistrator {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** The built bin as a real process (tests run after `tsc -b`). */
export function spawnRegistrator(args: string[], env: NodeJS.ProcessEnv = {}): ChildRegistrator {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  return { child, output: () => out, exited };
}

export async function killChild(c: ChildRegistrator | undefined): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGKILL');
  await c.exited;
}

export interface IntegrationSuite {
  /** The suite's Consul, started in before() and stopped in after(). */
  readonly consul: TestConsul;
  /** The registrator under test: stopped, deregistering what it owns, after each test. */
  running?: RunningRegistrator;
  /** Containers a test made: removed after each test. */
  readonly containers: string[];
}

/** The hooks of an integration suite sharing one Consul; call it inside describe(). */
export function integrationSuite(): IntegrationSuite {
  let consul: TestConsul | undefined;
  const suite: IntegrationSuite = {
    get consul(): TestConsul {
      if (!consul) throw new Error('the suite\'s Consul is not started (integrationSuite() outside describe?)');
      return consul;
    },
    running: undefined,
    containers: [],
  };
  before(async () => {
    consul = await startTestConsul();
  });
  afterEach(async () => {
    await suite.running?.stop({ deregister: true });
    suite.running = undefined;
    removeContainers(...suite.containers.splice(0));
  });
  after(async () => {
    await consul?.stop();
  });
  return suite;
}
