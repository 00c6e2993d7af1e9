// Blocking-query fan-out: 1,000 concurrent watchers on one key, woken by one write.
// Measures each watcher's wake latency from the write (p50/p99/max) and the stand-in's RSS.
// 1,000 connections from one address: the stand-in's per-client limit (Consul's 200) is raised for it.

import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { percentile, rssMiB, type BenchResult } from './stats';
import { waitFor } from '../packages/core/src';
import { freePort } from '../test/support/ports';

const WATCHERS = 1000;
const ROUNDS = 3;

function request(agent: http.Agent, port: number, method: string, path: string, body?: string): Promise<{ status: number; index: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, index: Number(res.headers['x-consul-index'] ?? 0), body: text }));
    });
    req.on('error', reject);
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

export async function run(): Promise<BenchResult[]> {
  const port = await freePort();
  const bin = join(__dirname, '..', 'packages', 'consul-standin', 'bin', 'consul-standin.js');
  const standin = spawn(process.execPath, [bin, '--port', String(port), '--node', 'bench', '--http-max-conns-per-client', String(WATCHERS + 16)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const key = '/v1/kv/bench/fanout';
  try {
    await waitFor(() => request(agent, port, 'GET', '/v1/status/leader').then((r) => r.status === 200), { timeoutMs: 10_000, message: 'the stand-in to answer' });
    const rssIdle = rssMiB(standin.pid!);
    const latencies: number[] = [];
    const wakeAll: number[] = [];
    let rssPeak = rssIdle;
    for (let round = 0; round < ROUNDS; round++) {
      const put = await request(agent, port, 'PUT', key, `round-${round}`);
      if (put.status !== 200) throw new Error(`PUT failed: ${put.status} ${put.body}`);
      const current = await request(agent, port, 'GET', key);
      let writtenAt = 0;
      let sent = 0;
      const woken: Array<Promise<number>> = [];
      for (let i = 0; i < WATCHERS; i++) {
        woken.push(new Promise<number>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: `${key}?index=${current.index}&wait=60s`, agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(performance.now() - writtenAt));
          });
          req.on('error', reject);
          req.on('finish', () => sent++);
          req.end();
        }));
      }
      await waitFor(() => sent === WATCHERS, { timeoutMs: 30_000, message: 'all watchers to be sent' });
      // Let the server take every request into its wait list: a quiet period, then the write.
      await new Promise((resolve) => setTimeout(resolve, 300));
      rssPeak = Math.max(rssPeak, rssMiB(standin.pid!));
      writtenAt = performance.now();
      await request(new http.Agent(), port, 'PUT', key, `round-${round}-woken`);
      const roundLatencies = await Promise.all(woken);
      latencies.push(...roundLatencies);
      wakeAll.push(Math.max(...roundLatencies));
    }
    const suite = 'consul-standin fan-out';
    const note = `${WATCHERS} watchers x ${ROUNDS} rounds`;
    return [
      { suite, name: 'wake latency p50', value: percentile(latencies, 50), unit: 'ms', note },
      { suite, name: 'wake latency p99', value: percentile(latencies, 99), unit: 'ms', note },
      { suite, name: 'time to wake all (median round)', value: percentile(wakeAll, 50), unit: 'ms', note },
      { suite, name: 'stand-in RSS idle', value: rssIdle, unit: 'MiB' },
      { suite, name: 'stand-in RSS with 1,000 held', value: rssPeak, unit: 'MiB' },
    ];
  } finally {
    agent.destroy();
    standin.kill('SIGTERM');
  }
}
