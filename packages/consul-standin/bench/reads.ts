// Measures what identical reads at one state cost the stand-in (a script, not a bench: `npx tsx
// packages/consul-standin/bench/reads.ts [states]`): a 2,000-service node, then for each state one write
// and two clients reading /v1/catalog/node/<node> and /v1/catalog/services at it, as two renderers do.
// `--no-cache` turns the read cache off (readCacheEntries 0). The stand-in runs in a child process; "CPU" is its
// CPU time over the two reads of a state, "wall" the time until both clients have the whole body.

import { fork } from 'node:child_process';
import http from 'node:http';
import { startConsulStandin } from '../src';

const SERVICES = 2000;
const NODE = 'web-1';
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function request(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: data ? { 'Content-Length': data.length } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

function service(i: number, revision = 0): Record<string, unknown> {
  const name = `svc-${String(i).padStart(4, '0')}`;
  return {
    ID: `${name}-1`,
    Service: name,
    Tags: [`urlprefix-/${name}`, 'env=<bench>&tier=web', `rev-${revision}`],
    Address: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    Port: 20000 + i,
    Meta: { version: '1.2.3', owner: 'team-shop', stack: 'shop' },
  };
}

/** The stand-in, in a child process of its own so that the clients' work is not counted: answers CPU time asked. */
async function serve(args: string[]): Promise<void> {
  const consul = await startConsulStandin(args.includes('--no-cache') ? { readCacheEntries: 0 } : {});
  process.on('message', (message: string) => {
    if (message === 'cpu') process.send!({ cpu: process.cpuUsage(), stats: consul.readCacheStats?.() });
    if (message === 'stop') void consul.stop().then(() => process.exit(0));
  });
  process.send!({ port: consul.port });
}

async function main(args: string[]): Promise<void> {
  const states = Number(args.find((a) => /^\d+$/.test(a)) ?? 100);
  const child = fork(__filename, ['--serve', ...args], { execArgv: process.execArgv });
  const replies: ((value: any) => void)[] = [];
  child.on('message', (message) => replies.shift()?.(message));
  const next = () => new Promise<any>((resolve) => replies.push(resolve));
  const ask = (message: string) => {
    const reply = next();
    child.send(message);
    return reply;
  };
  /** The stand-in's CPU time (user + system) so far, in ms. */
  const cpuMs = async () => {
    const { cpu } = await ask('cpu');
    return (cpu.user + cpu.system) / 1000;
  };
  const { port } = await next();
  try {
    for (let i = 0; i < SERVICES; i++) {
      await request(port, 'PUT', '/v1/catalog/register', { Node: NODE, Address: '10.0.0.1', Service: service(i) });
    }
    let revision = 0;
    for (const path of [`/v1/catalog/node/${NODE}`, '/v1/catalog/services']) {
      const { bytes } = await request(port, 'GET', path);
      for (let i = 0; i < 10; i++) await request(port, 'GET', path); // warm-up
      const latencies: number[] = [];
      let wallMs = 0;
      let serverMs = 0;
      for (let s = 0; s < states; s++) {
        await request(port, 'PUT', '/v1/catalog/register', { Node: NODE, Address: '10.0.0.1', Service: service(s % SERVICES, ++revision) });
        const cpuBefore = await cpuMs();
        const started = performance.now();
        const timed = () => {
          const at = performance.now();
          return request(port, 'GET', path).then(() => latencies.push(performance.now() - at));
        };
        await Promise.all([timed(), timed()]);
        wallMs += performance.now() - started;
        serverMs += (await cpuMs()) - cpuBefore;
      }
      latencies.sort((a, b) => a - b);
      const reads = latencies.length;
      const p = (q: number) => latencies[Math.min(reads - 1, Math.floor(q * reads))]!.toFixed(2);
      const { stats } = await ask('cpu');
      console.log(`${path} (${(bytes / 1024).toFixed(0)} KB): ${reads} reads; stand-in CPU ${(serverMs / reads).toFixed(2)} ms per read, ` +
        `wall ${(wallMs / reads).toFixed(2)} ms per read, latency p50 ${p(0.5)} p95 ${p(0.95)} ms; cache ${stats ? `hits ${stats.hits}, misses ${stats.misses} so far` : 'absent'}`);
    }
  } finally {
    child.send('stop');
    agent.destroy();
  }
}

const args = process.argv.slice(2);
(args.includes('--serve') ? serve(args) : main(args)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
