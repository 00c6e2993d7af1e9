// End to end: the demo runs every daemon as a real process (stand-ins, registrator, renderer with real nginx,
// healer with real docker-compose, f5-sync against the BIG-IP stand-in) and checks each step with a deadline.
// This test runs it as a user would and holds it to finishing every chapter and cleaning up.

import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('e2e: the demo chain (container -> Consul -> nginx, heal, role promote -> BIG-IP, broken template) @integration', function () {
  this.timeout(300_000);

  it('runs every chapter to the end and leaves no container behind', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('bash', [join(root, 'scripts', 'demo.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      const deadline = setTimeout(() => child.kill('SIGINT'), 240_000);
      child.on('exit', (exitCode) => {
        clearTimeout(deadline);
        resolve({ code: exitCode, output: text });
      });
    });
    expect(code, output).to.equal(0);
    for (const chapter of ['routes nginx to them', 'the healer restores capacity', 'the BIG-IP sends traffic to the master', 'nginx keeps serving', 'Done']) {
      expect(output).to.contain(chapter);
    }
    expect(output).to.match(/nginx still answers 200/);
    const left = execFileSync('docker', ['ps', '-aq', '--filter', 'label=consul-sidecars.demo'], { encoding: 'utf8' }).trim();
    expect(left, 'demo containers left behind').to.equal('');
  });
});
