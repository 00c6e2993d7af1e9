// Labels Consul would refuse or that read ambiguously, on the real engine: the service still registers, and the log names the label and value.

import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger, waitFor } from '@consul-sidecars/core';
import { startWebContainer } from '../../../test/support/web-container';
import { consulGet, integrationSuite, startInProcess, uniqueName, waitForOwned } from './harness';

interface LogLine {
  level: string;
  msg: string;
  label?: string;
  container?: string;
}

/** A logger whose JSON lines the test reads back. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ name: 'registrator', level: 'info', destination }), lines };
}

describe('registrator labels Consul would refuse @integration', function () {
  this.timeout(60_000);
  const suite = integrationSuite();

  it('SERVICE_CHECK_INTERVAL=0s: the service registers without the check, and an error names the label and value', async () => {
    const host = uniqueName('host');
    const c = startWebContainer(uniqueName('zero'), { labels: { SERVICE_NAME: `${host}-svc`, SERVICE_CHECK_HTTP: '/', SERVICE_CHECK_INTERVAL: '0s' }, testLabel: 'registrator' });
    suite.containers.push(c.name);
    const { logger, lines } = capturingLogger();
    suite.running = await startInProcess(suite.consul, ['-hostname', host], { logger });
    const id = `${host}:${c.name}:80`;
    await waitForOwned(suite.consul, host, [id], 15_000, 'the service registered despite the zero interval');
    const checks = await consulGet<Record<string, { ServiceID: string }>>(suite.consul, '/agent/checks');
    expect(Object.values(checks).filter((k) => k.ServiceID === id), 'checks of the service').to.deep.equal([]);
    const error = await waitFor(() => lines.find((l) => l.level === 'error' && l.container === c.name), { timeoutMs: 5000, message: 'an error line for the container' });
    expect(error.label).to.equal('label SERVICE_CHECK_INTERVAL');
    expect(error.msg).to.contain('"0s"');
    // Nothing is retried: the one registration stands, no write failed.
    expect(lines.filter((l) => l.msg.includes('failed; will retry'))).to.deep.equal([]);
  });

  it('SERVICE_IGNORE=flase: not registered (read as gliderlabs reads any value), and a warning names the label and value', async () => {
    const host = uniqueName('host');
    const ignored = startWebContainer(uniqueName('typo'), { labels: { SERVICE_NAME: `${host}-svc`, SERVICE_IGNORE: 'flase' }, testLabel: 'registrator' });
    const kept = startWebContainer(uniqueName('kept'), { labels: { SERVICE_NAME: `${host}-svc`, SERVICE_IGNORE: 'false' }, testLabel: 'registrator' });
    suite.containers.push(ignored.name, kept.name);
    const { logger, lines } = capturingLogger();
    suite.running = await startInProcess(suite.consul, ['-hostname', host], { logger });
    await waitForOwned(suite.consul, host, [`${host}:${kept.name}:80`], 15_000, 'only the container with SERVICE_IGNORE=false registered');
    const warning = await waitFor(() => lines.find((l) => l.level === 'warn' && l.container === ignored.name), { timeoutMs: 5000, message: 'a warning for the container' });
    expect(warning.label).to.equal('label SERVICE_IGNORE');
    expect(warning.msg).to.contain('"flase"');
  });
});
