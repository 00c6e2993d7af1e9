// The operator-facing artefacts: compose stacks validate with docker-compose 1.29, every shell script is
// shellcheck-clean, and the images build offline on the locally made base and report healthy.

import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerAvailable } from '../support/docker-images';
import { randomSuffix, REPO } from './deploy-fixtures';

const COMPOSE_DIR = join(REPO, 'compose');

describe('deploy artefacts: compose stacks, shellcheck, images @integration', function () {
  this.timeout(180_000);
  let work: string;

  before(function () {
    work = mkdtempSync(join(tmpdir(), 'cs-stack-'));
    mkdirSync(join(work, 'secrets'));
    writeFileSync(join(work, 'secrets', 'bigip.env'), 'BIGIP_PASSWORD=not-a-real-one\n');
  });
  after(function () {
    rmSync(work, { recursive: true, force: true });
  });

  const compose = (files: string[], envFile: string, args: string[], profiles = '') =>
    spawnSync('docker-compose', [...files.flatMap((f) => ['-f', join(COMPOSE_DIR, f)]), '--env-file', envFile, ...args], {
      encoding: 'utf8',
      env: { ...process.env, COMPOSE_PROFILES: profiles },
    });
  const envFile = (extra: string) => {
    const file = join(work, `node-${randomSuffix()}.env`);
    copyFileSync(join(COMPOSE_DIR, '.env.example'), file);
    writeFileSync(file, `BIGIP_SECRETS_FILE=${join(work, 'secrets', 'bigip.env')}\n${extra}`, { flag: 'a' });
    return file;
  };

  describe('compose stacks (docker-compose config)', function () {
    /** `docker-compose config` YAML split per service (1.29 has no JSON output and lists every profile's services). */
    const servicesOf = (yaml: string) => {
      const body = yaml.slice(yaml.indexOf('\nservices:\n') + 11).split(/\n(?=\S)/)[0];
      const sections: Record<string, string> = {};
      for (const part of body.split(/\n(?=  [a-z0-9-]+:\n)/)) {
        const m = /^  ([a-z0-9-]+):\n/.exec(part.startsWith('\n') ? part.slice(1) : part);
        if (m) sections[m[1]] = part;
      }
      return sections;
    };

    it('the node stack validates: consul, the Docker socket proxy, registrator and renderer always; f5-sync and healer behind profiles', function () {
      const result = compose(['docker-compose.yml'], envFile(''), ['config']);
      expect(result.status, result.stderr).to.equal(0);
      const services = servicesOf(result.stdout);
      expect(Object.keys(services).sort()).to.deep.equal(['consul', 'docker-socket-proxy', 'f5-sync', 'healer', 'registrator', 'renderer']);
      for (const always of ['consul', 'docker-socket-proxy', 'registrator', 'renderer']) expect(services[always], always).not.to.include('profiles:');
      expect(services['f5-sync']).to.match(/profiles:\n\s+- f5\n/);
      expect(services.healer).to.match(/profiles:\n\s+- healer\n/);
      // registrator reads Docker through the read-only proxy only: no engine socket, no docker group.
      expect(services.registrator).not.to.include('docker.sock:/var/run/docker.sock').and.not.to.include('group_add');
      expect(services.registrator).to.include('DOCKER_HOST: unix:///run/docker-ro/docker.sock').and.include('docker-ro:/run/docker-ro:ro');
      expect(services['docker-socket-proxy']).to.include('/var/run/docker.sock:/var/run/docker.sock:ro').and.match(/group_add:\n\s+- '?999'?\n/)
        .and.include('network_mode: none');
      // The healer keeps the engine's socket: docker-compose up creates and removes containers.
      expect(services.healer).to.include('/var/run/docker.sock:/var/run/docker.sock');
      expect(services.consul).to.include('image: hashicorp/consul:').and.include('-datacenter=dc-test').and.include('-bind=10.1.2.3');
      for (const name of Object.keys(services).filter((n) => n !== 'docker-socket-proxy')) expect(services[name], name).to.include('network_mode: host');
    });

    it('COMPOSE_PROFILES=f5,healer validates with f5-sync and the healer selected', function () {
      const withProfiles = compose(['docker-compose.yml'], envFile(''), ['config', '--services'], 'f5,healer');
      expect(withProfiles.status, withProfiles.stderr).to.equal(0);
      expect(withProfiles.stdout.trim().split('\n').sort()).to.include.members(['f5-sync', 'healer']);
    });

    it('the stand-in override swaps the agent for the Consul stand-in and adds the BIG-IP stand-in', function () {
      const result = compose(['docker-compose.yml', 'docker-compose.standin.yml'], envFile('SIDECARS_VERSION=demo\n'), ['config'], 'f5');
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.include('image: consul-sidecars/consul-standin:demo').and.include('image: consul-sidecars/bigip-standin:demo');
      expect(result.stdout).not.to.include('hashicorp/consul');
    });

    it('secrets live in files: no compose file names a password, the BIG-IP one comes from BIGIP_SECRETS_FILE', function () {
      for (const file of ['docker-compose.yml', 'docker-compose.standin.yml', '.env.example']) {
        const text = readFileSync(join(COMPOSE_DIR, file), 'utf8')
          .split('\n')
          .filter((line) => !line.trimStart().startsWith('#'))
          .join('\n');
        expect(text, file).not.to.match(/PASSWORD\s*[:=]\s*\S/);
        expect(text, file).not.to.match(/CONSUL_HTTP_TOKEN\s*[:=]/);
      }
      const result = compose(['docker-compose.yml'], envFile(''), ['config'], 'f5');
      expect(result.status, result.stderr).to.equal(0);
      expect(servicesOf(result.stdout)['f5-sync']).to.include('BIGIP_PASSWORD: not-a-real-one'); // read from the file
    });

    it('the base stack needs nothing of the profiles it does not enable: no BIGIP_* settings, no secrets file', function () {
      const file = join(work, 'base-only.env');
      const base = readFileSync(join(COMPOSE_DIR, '.env.example'), 'utf8').split('\n').filter((line) => !line.startsWith('BIGIP_')).join('\n');
      writeFileSync(file, base);
      const result = compose(['docker-compose.yml'], file, ['config', '-q']);
      expect(result.status, result.stderr).to.equal(0);
      const services = compose(['docker-compose.yml'], file, ['config', '--services']);
      expect(services.stdout.trim().split('\n')).to.include.members(['consul', 'docker-socket-proxy', 'registrator', 'renderer']);
      // With the f5 profile on and still no secrets file, the password is simply absent: f5-sync names it at start.
      const f5 = compose(['docker-compose.yml'], file, ['config'], 'f5');
      expect(f5.status, f5.stderr).to.equal(0);
      expect(servicesOf(f5.stdout)['f5-sync']).not.to.include('BIGIP_PASSWORD');
    });

    it('refuses to render without the cluster settings, naming the missing one', function () {
      const file = join(work, 'empty.env');
      writeFileSync(file, `DOCKER_GID=999\nBIGIP_SECRETS_FILE=${join(work, 'secrets', 'bigip.env')}\n`);
      const result = compose(['docker-compose.yml'], file, ['config', '-q']);
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.match(/CONSUL_DATACENTER|CONSUL_RETRY_JOIN|NODE_IP|NODE_NAME/);
    });
  });

  it('every shell script is shellcheck-clean (scripts/shellcheck.sh)', function () {
    const result = spawnSync('bash', [join(REPO, 'scripts', 'shellcheck.sh')], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
    expect(result.stdout).to.match(/\d+ scripts clean/);
  });

  it('every Jenkins step answers --help with exit 0', function () {
    for (const step of ['deploy', 'rolling-update', 'rollback', 'host-drain', 'host-join']) {
      const result = spawnSync(join(REPO, 'scripts', 'jenkins', step), ['--help'], { encoding: 'utf8' });
      expect(result.status, `${step}: ${result.stderr}`).to.equal(0);
      expect(result.stdout, step).to.match(/^Usage: /);
      const bad = spawnSync(join(REPO, 'scripts', 'jenkins', step), ['--no-such-flag'], { encoding: 'utf8' });
      expect(bad.status, `${step} with a bad flag`).to.equal(2);
    }
  });

  describe('images (built offline on the local base image)', function () {
    const name = `cs-deploy-standin-${randomSuffix()}`;
    const version = `test-${randomSuffix()}`;
    before(function () {
      if (!dockerAvailable()) throw new Error('these tests need a Docker engine');
    });
    after(function () {
      spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
      spawnSync('docker', ['rmi', `consul-sidecars/consul-standin:${version}`, `consul-sidecars/bigip-standin:${version}`], { stdio: 'ignore' });
    });

    it('the Consul stand-in image builds, runs as the node user and turns healthy through its HEALTHCHECK', async function () {
      const started = Date.now();
      const build = spawnSync('bash', [join(REPO, 'scripts', 'build-images.sh'), '--version', version, 'consul-standin', 'bigip-standin'], { encoding: 'utf8' });
      expect(build.status, build.stderr).to.equal(0);
      expect(build.stdout).to.match(/consul-standin\s+consul-sidecars\/consul-standin:/);
      this.test!.title += ` (built in ${((Date.now() - started) / 1000).toFixed(1)} s)`;
      // An ephemeral port in the host network namespace: pick a free one by binding and releasing it.
      const port = Number(execFileSync('node', ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' }).trim());
      execFileSync('docker', ['run', '-d', '--name', name, '--network', 'host', '--label', 'consul-sidecars.test=deploy',
        '--health-interval', '1s', '--health-start-period', '1s', '-e', `CONSUL_STANDIN_PORT=${port}`, `consul-sidecars/consul-standin:${version}`], { stdio: 'ignore' });
      const deadline = Date.now() + 30_000;
      let status = '';
      while (Date.now() < deadline) {
        status = execFileSync('docker', ['inspect', '--format', '{{.State.Health.Status}}', name], { encoding: 'utf8' }).trim();
        if (status === 'healthy' || status === 'unhealthy') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const logs = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
      expect(status, `${logs.stdout}${logs.stderr}`).to.equal('healthy');
      const user = execFileSync('docker', ['exec', name, 'id', '-u'], { encoding: 'utf8' }).trim();
      expect(user).to.equal('1000');
      const leader = await (await fetch(`http://127.0.0.1:${port}/v1/status/leader`)).json();
      expect(leader).to.be.a('string');
    });

    it('the daemon images build (set CS_TEST_BUILD_ALL_IMAGES=1; ~15 s each, so not by default)', function () {
      if (!process.env.CS_TEST_BUILD_ALL_IMAGES) this.skip();
      // Four images from scratch on a loaded 2-core machine took over 180 s once (each is ~15 s when quiet).
      this.timeout(600_000);
      const build = spawnSync('bash', [join(REPO, 'scripts', 'build-images.sh'), '--version', version, 'registrator', 'renderer', 'healer', 'f5-sync'], { encoding: 'utf8' });
      expect(build.status, build.stderr).to.equal(0);
      // The full variants (renderer with nginx, healer with docker-compose): on the local base their tools come from
      // the local tool bases (scripts/make-local-tool-base.sh), so the tags carry no -no-nginx / -no-compose suffix.
      for (const image of ['registrator', 'renderer', 'healer', 'f5-sync']) expect(build.stdout).to.match(new RegExp(`consul-sidecars/${image}:${version}\\s`));
    });
  });
});
