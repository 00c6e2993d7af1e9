// The bin's command line by the one convention (#18): help on stdout with 0, -version, usage errors 2, config errors
// 78, -ops-port with -metrics-port kept as an alias, usage and help spelling flags alike; `healer check` as a Nagios
// plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a service not desired, Consul unreachable, a bad command line).

import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommandLine, type CliIo } from '@consul-sidecars/core';
import { freePort } from '../../../test/support/ports';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { CHECK_SPEC, RUN_SPEC, VALIDATE_SPEC, runHealer, version } from '../src/cli';
import { exitWithin, spawnHealer } from './healer-process';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function healer(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) };
  const code = await runHealer(argv, io, { ...process.env, ...env });
  return { code, stdout, stderr };
}

describe('healer command line', () => {
  let dir: string;
  let desiredFile: string;
  let consul: ConsulStandin;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'healer-cli-'));
    const compose = join(dir, 'docker-compose.yml');
    writeFileSync(compose, 'version: "2.4"\nservices: {}\n');
    // A compose project nobody runs: the backend lists no containers, so each state comes from Consul alone.
    const scale = (svc: string) => ({ composeProject: 'healer-cli-none', composeFile: compose, composeService: svc });
    desiredFile = join(dir, 'desired.json');
    writeFileSync(desiredFile, JSON.stringify({
      services: { ok: { min: 1, scale: scale('ok') }, many: { min: 1, max: 1, scale: scale('many') }, few: { min: 2, scale: scale('few') } },
    }));
    consul = await startConsulStandin({ port: 0, node: 'healer-cli' });
    const register = async (name: string, n: number) => {
      const res = await fetch(`${consul.url}/v1/agent/service/register`, {
        method: 'PUT',
        body: JSON.stringify({ ID: `node:${name}-${n}:80`, Name: name, Port: 80, Check: { TTL: '10m', Status: 'passing' } }),
      });
      expect(res.status, await res.text()).to.equal(200);
    };
    await register('ok', 1);
    await register('many', 1);
    await register('many', 2);
    await register('few', 1);
  });
  after(async () => {
    await consul?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the convention (every command)', () => {
    const cases: Array<{ argv: string[]; code: number; stdout?: RegExp; stderr?: RegExp }> = [
      { argv: ['-help'], code: 0, stdout: /^usage:\n {2}healer \[run\] -desired <file>[\s\S]*healer check <service>[\s\S]*-ops-port <number>.*\(also -metrics-port\)[\s\S]*-version/ },
      { argv: ['--help'], code: 0, stdout: /^usage:/ },
      { argv: ['run', '-h'], code: 0, stdout: /^usage:/ },
      { argv: ['validate', '-help'], code: 0, stdout: /^usage:\n {2}healer validate -desired <file>/ },
      { argv: ['check', '-help'], code: 0, stdout: /^usage:\n {2}healer check <service>[\s\S]*3 UNKNOWN/ },
      { argv: ['-version'], code: 0, stdout: new RegExp(`^healer ${version().replace(/\./g, '\\.')}\n$`) },
      { argv: ['--version'], code: 0, stdout: /^healer \d+\.\d+\.\d+\n$/ },
      { argv: [], code: 2, stderr: /healer: no command\nusage:/ },
      { argv: ['frobnicate'], code: 2, stderr: /unknown command "frobnicate"/ },
      { argv: ['run', '-desird', 'x.json'], code: 2, stderr: /unknown flag -desird\nrun `healer -help`/ },
      { argv: ['run', '-ops-port', 'http'], code: 2, stderr: /flag -ops-port: invalid number "http"/ },
      { argv: ['run', '-ops-port', '70000', '-desired', 'x.json'], code: 2, stderr: /-ops-port: 70000 is not a port/ },
      { argv: ['run', '-once'], code: 2, stderr: /-desired <file> is required/ },
      { argv: ['run', '-desired', 'x.json', 'extra'], code: 2, stderr: /unexpected argument "extra"/ },
      { argv: ['validate'], code: 2, stderr: /healer validate: -desired <file> is required/ },
    ];
    for (const c of cases) {
      it(`healer ${c.argv.join(' ') || '(nothing)'} -> exit ${c.code}`, async () => {
        const ran = await healer(c.argv);
        expect(ran.code, ran.stderr).to.equal(c.code);
        if (c.stdout) expect(ran.stdout).to.match(c.stdout);
        else expect(ran.stdout).to.equal('');
        if (c.stderr) expect(ran.stderr).to.match(c.stderr);
        else expect(ran.stderr).to.equal('');
      });
    }

    it('an invalid desired file is a config error: exit 78, naming the field', async () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ services: { web: { min: 3, max: 1, scale: { composeProject: 'p', composeFile: join(dir, 'docker-compose.yml'), composeService: 'web' } } } }));
      for (const argv of [['validate', '-desired', bad], ['run', '-once', '-desired', bad]]) {
        const ran = await healer(argv);
        expect(ran.code, argv.join(' ')).to.equal(78);
        expect(ran.stderr).to.contain('services.web.max');
      }
    });

    it('-metrics-port is the old spelling of -ops-port: both land on the same value', () => {
      expect(readCommandLine(['-metrics-port', '9766'], RUN_SPEC)).to.deep.include({ kind: 'run' });
      const old = readCommandLine(['-metrics-port', '9766'], RUN_SPEC);
      const now = readCommandLine(['--ops-port=9766'], RUN_SPEC);
      expect(old.kind === 'run' && old.flags.values).to.deep.equal({ opsPort: 9766 });
      expect(now.kind === 'run' && now.flags.values).to.deep.equal({ opsPort: 9766 });
    });

    it('usage and help spell every flag alike: each -flag of the usage lines is one the flag list names', () => {
      for (const spec of [RUN_SPEC, CHECK_SPEC, VALIDATE_SPEC]) {
        const listed = new Set([...Object.keys(spec.flags), 'version', 'help']);
        const usageFlags = [...spec.usage.matchAll(/(?<![\w-])--?([a-z][a-z-]*)/g)].map((m) => m[0]);
        expect(usageFlags.length, spec.name).to.be.above(0);
        for (const flag of usageFlags) {
          expect(flag, `${spec.name} usage spells ${flag} with one dash, as the flag list does`).to.match(/^-[a-z]/);
          expect(listed.has(flag.slice(1)), `${spec.name} usage names ${flag}, which its flag list has`).to.equal(true);
        }
      }
    });

    it('the daemon answers on -ops-port and on the old -metrics-port @integration', async function () {
      this.timeout(30_000);
      for (const flag of ['-ops-port', '-metrics-port']) {
        const port = await freePort();
        const child = spawnHealer(['run', '-desired', desiredFile, '-consul', consul.address, flag, String(port), '-schedule', 'off', '-leader-lock=false', '-log-level', 'warn']);
        try {
          let metrics = '';
          const deadline = Date.now() + 15_000;
          while (Date.now() < deadline && !metrics) {
            metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
            if (!metrics) await new Promise((r) => setTimeout(r, 100));
          }
          expect(metrics, `${flag}: ${child.output()}`).to.match(/^consul_sidecars_leader 1$/m);
        } finally {
          child.child.kill('SIGTERM');
          expect((await exitWithin(child, 10_000))?.code, child.output()).to.equal(0);
        }
      }
    });
  });

  describe('healer check: a Nagios plugin', () => {
    const check = (...argv: string[]) => healer(['check', ...argv, '-desired', desiredFile, '-consul', consul.address]);

    it('healthy >= min -> 0 OK', async () => {
      expect(await check('ok')).to.deep.equal({ code: 0, stdout: 'ok: OK - 1 healthy (min 1)\n', stderr: '' });
    });
    it('above max -> 1 WARNING', async () => {
      expect(await check('many')).to.deep.include({ code: 1, stdout: 'many: WARNING - 2 healthy (min 1, max 1)\n' });
    });
    it('below min -> 2 CRITICAL', async () => {
      expect(await check('few')).to.deep.include({ code: 2, stdout: 'few: CRITICAL - 1 healthy (min 2)\n' });
    });
    it('a service that is not in the desired file -> 3 UNKNOWN, naming it', async () => {
      const ran = await check('nosuch');
      expect(ran.code).to.equal(3);
      expect(ran.stdout).to.match(/^UNKNOWN - service nosuch is not in the desired-state file/);
    });
    it('Consul unreachable -> 3 UNKNOWN (the state cannot be told), never CRITICAL', async () => {
      const closed = await freePort();
      const ran = await healer(['check', 'ok', '-desired', desiredFile, '-consul', `127.0.0.1:${closed}`]);
      expect(ran.code, ran.stdout).to.equal(3);
      expect(ran.stdout).to.match(/^UNKNOWN - ok: cannot read consul/);
    });
    it('a bad command line or desired file -> 3 UNKNOWN', async () => {
      expect((await healer(['check', 'ok', '-desird', desiredFile])).code).to.equal(3);
      expect((await healer(['check', '-desired', desiredFile])).code).to.equal(3);
      expect((await healer(['check', 'ok', '-desired', join(dir, 'missing.json')])).code).to.equal(3);
    });
  });
});
