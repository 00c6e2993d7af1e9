// The compose backend across hosts: one compose service with an engine per host (scale.hosts); a host killed ->
// its node critical in Consul -> the healer makes up the instance on a passing host, fewest first, and never
// targets the critical host (no compose run, no removal against it).

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../packages/core/src';
import { ensureBusyboxImage } from '../support/docker-images';
import { AGENT_PORT, BIN, Fleet } from '../support/fleet/fleet';
import { composeOn, webProjectYaml } from '../support/fleet/web-project';

const DETECTION_MS = 2_000;

/**
 * The fleet's web project, as one file for every host: published on a free port of whichever host's engine runs
 * it, instead of one host's address (webProjectYaml takes one address; an option for "any" would drop the replace).
 */
function webYaml(image: string, subnet: string): string {
  const anyHost = 'ANY-HOST';
  return webProjectYaml({ image, service: 'hweb', tags: [], hostAddress: anyHost, subnet }).replace(`"${anyHost}::80"`, '"80"');
}

interface HealthInstance {
  Node: { Node: string };
  Checks: Array<{ Status: string }>;
}

describe('healer: compose across hosts @integration', function () {
  this.timeout(240_000);
  let fleet: Fleet;
  let composeFile: string;

  const healthy = async (): Promise<HealthInstance[]> =>
    ((await (await fetch(`${fleet.consulUrl}/v1/health/service/hweb`)).json()) as HealthInstance[]).filter((i) => i.Checks.every((c) => c.Status === 'passing'));
  const healerLog = () => readFileSync(join(fleet.host('h1').logDir, 'healer.log'), 'utf8').split('\n').filter(Boolean);
  const countOn = (host: string) => fleet.host(host).docker(['ps', '-q', '--filter', 'label=com.docker.compose.project=hweb']).split('\n').filter(Boolean).length;

  before(async () => {
    const image = ensureBusyboxImage();
    fleet = await Fleet.start({ id: 'hch', index: 14, workers: ['h1', 'h2', 'h3'], detectionMs: DETECTION_MS, images: [image] });
    const dir = fleet.workDir('hweb');
    composeFile = fleet.writeFile(dir, 'docker-compose.yml', webYaml(image, fleet.bed.layout.localNetworkSubnet));
    for (const host of fleet.workers) {
      composeOn(host, { name: 'hweb', file: composeFile }, ['up', '-d', '--scale', 'web=1']);
      fleet.startRegistrator(host);
    }
    const desired = fleet.writeFile(dir, 'desired.json', JSON.stringify({
      services: {
        hweb: {
          min: 3, max: 4, gracePeriod: '5s',
          scale: { kind: 'compose', composeProject: 'hweb', composeFile, composeService: 'web', hosts: Object.fromEntries(fleet.workers.map((h) => [h.name, h.dockerHost])) },
        },
      },
      policy: { expectationTimeout: '30s', backoffBase: '2s', backoffMax: '10s' },
    }));
    fleet.host('h1').runService('healer', process.execPath, [
      BIN.healer, 'run', '--desired', desired, '--metrics-port', '9766', '--schedule', '*/2 * * * * *', '--leader-lock-delay', '1s', '--log-level', 'info',
    ], { ...process.env, CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}` });
    await waitFor(async () => (await healthy()).length === 3, { timeoutMs: 60_000, message: 'three healthy hweb instances' });
  });

  after(async () => {
    if (!fleet) return;
    await fleet.stop();
    expect(fleet.bed.leftovers()).to.deep.equal([]);
  });

  it('a host killed: its node critical, the instance made up on a passing host, the critical host never a target', async () => {
    const killedAt = Date.now();
    await fleet.host('h3').kill();
    await waitFor(async () => (await healthy()).length < 3, { timeoutMs: DETECTION_MS * 4, intervalMs: 100, message: 'the killed instance critical' });
    await waitFor(async () => (await healthy()).filter((i) => i.Node.Node !== 'h3').length >= 3, { timeoutMs: DETECTION_MS + 30_000, intervalMs: 200, message: 'healthy >= min on the passing hosts' });
    const backMs = Date.now() - killedAt;
    expect(countOn('h1') + countOn('h2')).to.equal(3);
    // The healer's log reaches the file asynchronously: wait for the pass that acted, then for a few passes more.
    await waitFor(() => healerLog().some((l) => l.includes('"msg":"pass acted"')), { timeoutMs: 10_000, message: 'the acting pass in the log' });
    const passes = () => [...fleet.host('h1').httpGet('http://127.0.0.1:9766/metrics').matchAll(/^healer_passes_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    const seen = passes();
    await waitFor(() => passes() >= seen + 3, { timeoutMs: 15_000, message: 'three passes after the heal' });
    const acted = healerLog().filter((l) => l.includes('"msg":"pass acted"'));
    expect(acted, 'one heal').to.have.length(1);
    expect(acted[0]).to.match(/on h1 to 2 \(\+1\)|on h2 to 2 \(\+1\)/);
    expect(acted[0]).to.not.match(/h3 to /);
    expect(healerLog().filter((l) => l.includes('"msg":"compose failed"') || l.includes('removed failed containers'))).to.deep.equal([]);
    console.log(`      capacity back ${backMs} ms after the kill, on ${/on (h\d) to/.exec(acted[0])?.[1]}`);
  });
});
