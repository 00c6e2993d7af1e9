// A real Prometheus (Debian's `prometheus` binary) for the stack end-to-end test: a process on loopback whose
// config is deploy/prometheus/prometheus.yml with the run's ports, a 1 s scrape and evaluation interval and the
// shipped rule file by absolute path (the rules themselves are never copied or changed).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { freePort } from '../support/ports';
import { REPO } from './stack-fixtures';

export const PROMETHEUS_DIR = join(REPO, 'deploy', 'prometheus');
export const RULES_FILE = join(PROMETHEUS_DIR, 'rules', 'consul-sidecars.rules.yml');

/** The alert names the shipped rule file defines, in order. */
export function shippedAlerts(): string[] {
  return [...readFileSync(RULES_FILE, 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]);
}

/** Replaces `from` exactly once in `text`, or throws naming it (the shipped file changed shape). */
function replaceOnce(text: string, from: RegExp, to: string, what: string): string {
  const matches = text.match(new RegExp(from.source, `${from.flags.replace('g', '')}g`)) ?? [];
  if (matches.length !== 1) throw new Error(`deploy/prometheus/prometheus.yml: expected one ${what}, found ${matches.length}`);
  return text.replace(from, to);
}

/**
 * The shipped scrape config, for a test: every job's target is 127.0.0.1:<the run's port for that job>, the
 * scrape and evaluation intervals `interval`, the rule file named by its absolute path. Every job of the shipped
 * file must get a port (a job the test does not know is an error, not a silently unscraped target).
 */
export function testPrometheusConfig(targets: Record<string, number>, interval = '1s'): string {
  let text = readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8');
  text = replaceOnce(text, /^(\s+)scrape_interval: \S+/m, `$1scrape_interval: ${interval}`, 'scrape_interval');
  text = replaceOnce(text, /^(\s+)evaluation_interval: \S+/m, `$1evaluation_interval: ${interval}`, 'evaluation_interval');
  text = replaceOnce(text, /^(\s+- )rules\/consul-sidecars\.rules\.yml$/m, `$1${RULES_FILE}`, 'rule file');
  const jobs = [...text.matchAll(/- job_name: (\S+)/g)].map((m) => m[1]);
  const unknown = jobs.filter((job) => targets[job] === undefined);
  if (unknown.length > 0) throw new Error(`no port for the shipped scrape jobs ${unknown.join(', ')}`);
  for (const job of jobs) {
    text = replaceOnce(text, new RegExp(`(- job_name: ${job}\\n\\s+static_configs: \\[\\{ targets: \\[)"[^"]+"`), `$1"127.0.0.1:${targets[job]}"`, `target of job ${job}`);
  }
  return text;
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}
export interface PrometheusRule {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  state?: 'inactive' | 'pending' | 'firing';
  lastError?: string;
  lastEvaluation: string;
}
export interface PrometheusTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  scrapeUrl: string;
}

/** Prometheus as a child process on a free loopback port, with its data in `dir`. */
export class TestPrometheus {
  private output = '';
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
  }

  static async start(dir: string, config: string): Promise<TestPrometheus> {
    mkdirSync(join(dir, 'data'), { recursive: true });
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, config);
    const port = await freePort();
    const child = spawn('prometheus', [
      `--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h', '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const prometheus = new TestPrometheus(`http://127.0.0.1:${port}`, child);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`prometheus exited (${code ?? signal}): ${prometheus.log()}`))));
    exited.catch(() => undefined);
    child.once('error', (err) => (prometheus.output += `\n${err.message} (apt-get install prometheus)`));
    await Promise.race([exited, waitFor(async () => (await fetch(`${prometheus.url}/-/ready`).catch(() => undefined))?.ok === true,
      { timeoutMs: 20_000, intervalMs: 100, message: 'prometheus to be ready' })]);
    return prometheus;
  }

  /** Its log (warnings and errors), for failure messages. */
  log(): string {
    return this.output.slice(-3000);
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus /api/v1/${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  async targets(): Promise<PrometheusTarget[]> {
    return (await this.api<{ activeTargets: PrometheusTarget[] }>('targets?state=active')).activeTargets;
  }

  async rules(): Promise<PrometheusRule[]> {
    return (await this.api<{ groups: Array<{ file: string; rules: PrometheusRule[] }> }>('rules')).groups.flatMap((g) => g.rules);
  }

  async alerts(): Promise<PrometheusAlert[]> {
    return (await this.api<{ alerts: PrometheusAlert[] }>('alerts')).alerts;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
