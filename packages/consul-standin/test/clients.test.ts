// The stand-in held to clients others wrote: python-consul (Debian's python3-consul 0.7.1) and
// Ansible's community.general consul, consul_kv and consul_session modules, against the single
// node and against a cluster agent (with reads through a second agent). The scripts assert as they go.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConsulStandin, startConsulServer, startConsulStandin } from '../src';
import { StandinCluster, startStandinCluster } from './cluster-support';
import { FAST } from './support';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const clients = path.join(__dirname, 'clients');

/** The clients' environment: nothing of ours, and no CONSUL_* (python-consul prefers CONSUL_HTTP_ADDR to its arguments). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...extra };
}

async function available(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { env: cleanEnv(), timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

async function python(addresses: string[]): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run(PYTHON, [path.join(clients, 'python_consul_client.py'), ...addresses], { env: cleanEnv(), timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string);
  } catch (err) {
    const failure = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`python-consul script failed: ${failure.stderr || failure.message}\n${failure.stdout ?? ''}`);
  }
}

describe('consul-standin held to python-consul and Ansible\'s consul modules', function () {
  this.timeout(90_000);
  let single: ConsulStandin;
  let cluster: StandinCluster;
  let agents: { a: string; b: string; aPort: number };

  before(async function () {
    if (!(await available(PYTHON, ['-c', 'import consul']))) {
      this.test!.parent!.title += ' (skipped: python3-consul is not installed)';
      this.skip();
    }
    single = await startConsulStandin(FAST);
    cluster = await startStandinCluster();
    const a = await cluster.addAgent('py-host-a', '127.0.0.2');
    const b = await cluster.addAgent('py-host-b', '127.0.0.3');
    agents = { a: a.agent.address, b: b.agent.address, aPort: a.agent.port };
  });

  after(async () => {
    await single?.stop();
    await cluster?.stop();
  });

  it('python-consul against the single node: registration with HTTP/TCP/TTL checks, KV, sessions and locks, health, catalog', async () => {
    const found = await python([single.address]);
    expect(found).to.deep.equal({ node: single.node, ok: true });
  });

  it('python-consul against a cluster agent, reading back through another agent, and a federated datacenter', async () => {
    const dc2 = await startConsulServer({ ...FAST, datacenter: 'dc2', node: 'server-dc2' });
    try {
      cluster.server.federate('dc2', dc2.address);
      dc2.federate('dc1', cluster.server.address);
      const found = await python([agents.a, agents.b, 'dc2']);
      expect(found).to.deep.equal({ node: 'py-host-a', ok: true, federated: 'dc2' });
    } finally {
      await dc2.stop();
    }
  });

  it('ansible-playbook (connection local) with consul, consul_kv and consul_session against a cluster agent', async function () {
    if (!(await available('ansible-playbook', ['--version']))) {
      this.test!.title += ' (skipped: ansible-playbook is not installed)';
      this.skip();
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'consul-standin-ansible-'));
    try {
      const inventory = path.join(dir, 'inventory.json');
      writeFileSync(inventory, JSON.stringify({
        all: { hosts: { cluster: { consul_host: '127.0.0.2', consul_port: agents.aPort, consul_other: agents.b, ansible_python_interpreter: PYTHON } } },
      }));
      const env = cleanEnv({
        HOME: dir,
        ANSIBLE_LOCAL_TEMP: path.join(dir, 'tmp'),
        ANSIBLE_REMOTE_TEMP: path.join(dir, 'tmp'),
        ANSIBLE_PIPELINING: '1',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_LOCALHOST_WARNING: 'false',
        ANSIBLE_RETRY_FILES_ENABLED: 'false',
      });
      let stdout: string;
      try {
        ({ stdout } = await run('ansible-playbook', ['-i', inventory, path.join(clients, 'ansible_playbook.yml')], { env, timeout: 80_000 }));
      } catch (err) {
        const failure = err as Error & { stdout?: string; stderr?: string };
        throw new Error(`ansible-playbook failed:\n${failure.stdout ?? ''}\n${failure.stderr ?? failure.message}`);
      }
      expect(stdout).to.match(/cluster\s+: ok=17\s+changed=\d+\s+unreachable=0\s+failed=0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
