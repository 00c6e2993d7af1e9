import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { installShutdown, silentLogger, waitFor } from '../src';

const DAEMON = (stopMs: number) => `
const core = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
const logger = core.silentLogger();
const timer = setInterval(() => {}, 1000);
core.installShutdown({ logger, timeoutMs: 1500, onShutdown: async () => {
  await new Promise((r) => setTimeout(r, ${stopMs}));
  clearInterval(timer);
  console.log('cleaned up');
}});
console.log('ready');
`;

function runDaemon(stopMs: number): Promise<{ code: number | null; output: string; elapsedMs: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', DAEMON(stopMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let signalledAt = 0;
    child.stdout!.on('data', (d) => {
      output += d;
      if (output.includes('ready') && !signalledAt) {
        signalledAt = Date.now();
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => resolve({ code, output, elapsedMs: Date.now() - signalledAt }));
  });
}

describe('core: graceful shutdown', () => {
  it('runs the stop work on SIGTERM and exits 0', async () => {
    const result = await runDaemon(50);
    expect(result.code).to.equal(0);
    expect(result.output).to.contain('cleaned up');
  });

  it('exits 1 at the deadline when the stop work hangs', async () => {
    const result = await runDaemon(60_000);
    expect(result.code).to.equal(1);
    expect(result.output).not.to.contain('cleaned up');
    expect(result.elapsedMs).to.be.below(5000);
  });

  it('runs shutdown once however often it is triggered, and reports the exit code', async () => {
    const codes: number[] = [];
    let runs = 0;
    const handle = installShutdown({ logger: silentLogger(), exit: (c) => codes.push(c), onShutdown: async () => void runs++ });
    try {
      await Promise.all([handle.trigger('once', 3), handle.trigger('twice', 0)]);
      await waitFor(() => codes.length === 1, { timeoutMs: 1000 });
      expect(runs).to.equal(1);
      expect(codes).to.deep.equal([3]);
    } finally {
      handle.dispose();
    }
  });
});
