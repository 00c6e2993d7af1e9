// The multi-host testbed itself: hosts with their own engines and addresses, traffic across the bridge and none
// beyond it, a host killed and brought back, a link cut, a swarm-mode cluster across hosts, and nothing left behind
// (also after a test run that was killed).

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'node:http';
import { planBedLayout, Testbed, testbedLeftovers } from '../support/testbed';
import { formSwarm } from '../support/testbed/swarm';
import { ensureBusyboxImage } from '../support/docker-images';

function webCommand(name: string, address: string, port: number): string[] {
  return ['sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p ${address}:${port} -h /www`];
}

async function waitUntil<T>(what: string, probe: () => T | undefined | false, deadlineMs: number): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function getFromRoot(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('testbed layout', () => {
  const cases: Array<{ why: string; options: Parameters<typeof planBedLayout>[0]; error?: RegExp }> = [
    { why: 'a bed of three hosts', options: { id: 'ab', index: 2, hosts: ['h1', 'h2', 'edge'] } },
    { why: 'an id with a dash would make names ambiguous', options: { id: 'a-b', index: 0, hosts: ['h1'] }, error: /testbed id/ },
    { why: 'an index beyond 15 leaves the range', options: { id: 'ab', index: 16, hosts: ['h1'] }, error: /testbed index/ },
    { why: 'a host given twice', options: { id: 'ab', index: 0, hosts: ['h1', 'h1'] }, error: /given twice/ },
    { why: 'a host name that would overflow a link name', options: { id: 'abcdef', index: 0, hosts: ['edgehost'] }, error: /longer than 15/ },
    { why: 'an upper-case host name', options: { id: 'ab', index: 0, hosts: ['H1'] }, error: /host name/ },
  ];
  for (const { why, options, error } of cases) {
    it(why, () => {
      if (error) {
        expect(() => planBedLayout(options)).to.throw(error);
        return;
      }
      const bed = planBedLayout(options);
      expect(bed.bridge).to.equal('cstab-br');
      expect(bed.subnet).to.equal('10.213.2.0');
      expect(bed.hosts.map((h) => h.address)).to.deep.equal(['10.213.2.11', '10.213.2.12', '10.213.2.13']);
      expect(bed.hosts.map((h) => h.netns)).to.deep.equal(['cstab-h1', 'cstab-h2', 'cstab-edge']);
      for (const host of bed.hosts) expect(host.rootLink.length).to.be.at.most(15);
      expect(bed.swarmAddressPool).to.equal('10.213.72.0/22');
    });
  }
});

describe('testbed: hosts on one machine @integration', function () {
  this.timeout(180_000);
  let bed: Testbed | undefined;
  let image: string;

  before(async () => {
    image = ensureBusyboxImage();
    bed = await Testbed.create({ id: 'tbt', index: 1, hosts: ['h1', 'h2', 'h3'], images: [image] });
  });

  after(async () => {
    if (bed) await bed.destroy();
    if (bed) expect(bed.leftovers()).to.deep.equal([]);
  });

  it('gives each host its own engine (own engine ID) answering on its own socket, with the test image loaded', () => {
    const ids = bed!.hosts.map((host) => host.docker(['info', '--format', '{{.ID}}']));
    expect(new Set(ids).size).to.equal(3);
    for (const host of bed!.hosts) expect(host.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).to.include(image);
  });

  it('carries traffic between hosts on their bridge addresses, and to the root only through a relay', async () => {
    const [h1, h2] = [bed!.host('h1'), bed!.host('h2')];
    h1.docker(['run', '-d', '--name', 'tbt-web', '--network', 'host', '--restart', 'unless-stopped', image, ...webCommand('on-h1', h1.address, 8080)]);
    const seen = await waitUntil('h2 reaches h1', () => (h2.httpGet(`http://${h1.address}:8080/`).startsWith('200') ? h2.httpGet(`http://${h1.address}:8080/`) : undefined), 10_000);
    expect(seen).to.equal('200 on-h1');
    // The web server listens on h1's bridge address only: not on h2, not on h1's loopback.
    expect(h2.httpGet(`http://127.0.0.1:8080/`)).to.match(/^error/);
    const relay = await h1.expose(8080, h1.address);
    expect(await getFromRoot(relay.port)).to.equal('200 on-h1');
  });

  it('a killed host takes its engine, containers and processes down; brought back, its containers return', async () => {
    const [h1, h2] = [bed!.host('h1'), bed!.host('h2')];
    h1.runService('sleeper', 'sleep', ['600']);
    await h1.kill();
    expect(h2.httpGet(`http://${h1.address}:8080/`, 500)).to.match(/^error/);
    expect(() => h1.docker(['ps'])).to.throw(/docker/);
    await h1.revive();
    const seen = await waitUntil('the web container is back on h1', () => {
      const answer = h2.httpGet(`http://${h1.address}:8080/`);
      return answer.startsWith('200') ? answer : undefined;
    }, 30_000);
    expect(seen).to.equal('200 on-h1');
    expect(h1.exec('sh', ['-c', 'pgrep -x sleep | wc -l']).trim()).to.not.equal('0');
  });

  it('a cut link isolates the host (its own loopback still answers) until it is restored', async () => {
    const [h1, h2] = [bed!.host('h1'), bed!.host('h2')];
    h1.cutLink();
    expect(h1.linkIsUp()).to.equal(false);
    expect(h2.httpGet(`http://${h1.address}:8080/`, 500)).to.match(/^error/);
    expect(h1.httpGet(`http://${h1.address}:8080/`)).to.equal('200 on-h1');
    h1.restoreLink();
    await waitUntil('h2 reaches h1 again', () => h2.httpGet(`http://${h1.address}:8080/`).startsWith('200'), 10_000);
  });

  it('forms a swarm-mode cluster whose service runs a task on every host, each served on its host address', async () => {
    const swarm = formSwarm(bed!);
    expect(swarm.nodeIds.size).to.equal(3);
    const manager = swarm.managers[0];
    manager.docker([
      'service', 'create', '--detach', '--no-resolve-image', '--name', 'tbt-sw', '--network', 'host',
      '--replicas', '3', '--replicas-max-per-node', '1', '--restart-delay', '1s',
      image, 'sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8090 -h /www',
    ]);
    for (const host of bed!.hosts) {
      await waitUntil(`the swarm task on ${host.name} answers`, () => host.httpGet(`http://${host.address}:8090/`).startsWith('200'), 60_000);
    }
    const labels = manager.docker(['node', 'ls', '--format', '{{.ID}}']).split('\n').map((id) => manager.docker(['node', 'inspect', '--format', '{{index .Spec.Labels "cst.host"}}', id]));
    expect(labels.sort()).to.deep.equal(['h1', 'h2', 'h3']);
  });
});

describe('testbed: nothing left behind @integration', function () {
  this.timeout(120_000);

  it('sweeps, at the next start, what a killed test run left (namespaces, links, rules, mounts, engines, containers)', async () => {
    const image = ensureBusyboxImage();
    // A test run in its own process builds a bed, starts a container, and is killed -9 while it runs.
    const script = `
      const { Testbed } = require(${JSON.stringify(join(__dirname, '..', 'support', 'testbed'))});
      Testbed.create({ id: 'tbk', index: 2, hosts: ['h1'], images: [${JSON.stringify(image)}] }).then((bed) => {
        bed.host('h1').docker(['run', '-d', '--network', 'host', '--restart', 'always', ${JSON.stringify(image)}, 'sleep', '600']);
        process.stdout.write('ready\\n');
      });
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the killed run exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const left = testbedLeftovers('tbk');
    for (const kind of ['netns', 'link', 'iptables', 'mount', 'process', 'directory']) expect(left.some((line) => line.startsWith(kind)), `a killed run leaves a ${kind}`).to.equal(true);
    // The next run sweeps by prefix before it builds anything.
    const bed = await Testbed.create({ id: 'tbs', index: 3, hosts: ['h1'] });
    try {
      expect(testbedLeftovers('tbk')).to.deep.equal([]);
    } finally {
      await bed.destroy();
    }
    expect(testbedLeftovers('tbs')).to.deep.equal([]);
  });
});
