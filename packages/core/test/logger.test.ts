import { expect } from 'chai';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import { createLogger } from '../src';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l)) };
}

describe('core: logger', () => {
  it('writes one JSON event per line with name, level and msg', () => {
    const out = capture();
    createLogger({ name: 'registrator', destination: out.stream }).info({ service: 'web' }, 'registered');
    const [line] = out.lines();
    expect(line).to.include({ name: 'registrator', level: 'info', msg: 'registered', service: 'web' });
  });

  it("names the host on every line: NODE_NAME (the stack's node name) when set, else the machine's host name", () => {
    const saved = process.env.NODE_NAME;
    try {
      delete process.env.NODE_NAME;
      const plain = capture();
      createLogger({ name: 'renderer', destination: plain.stream }).info('started');
      expect(plain.lines()[0].hostname).to.equal(hostname());
      process.env.NODE_NAME = 'swarm-node-3';
      const named = capture();
      createLogger({ name: 'renderer', destination: named.stream }).info('started');
      expect(named.lines()[0].hostname).to.equal('swarm-node-3');
    } finally {
      if (saved === undefined) delete process.env.NODE_NAME;
      else process.env.NODE_NAME = saved;
    }
  });

  it('redacts tokens, passwords and auth headers wherever a call site puts them', () => {
    const out = capture();
    const logger = createLogger({ name: 't', destination: out.stream });
    // Secrets no log line could hold by chance (a short 'T1' is in every timestamp from 10:00 to 19:59).
    const secret = (name: string) => `secret-${name}-${'x'.repeat(8)}`;
    logger.warn({
      token: secret('token'), password: secret('password'),
      config: { consul: { token: secret('consul-token') }, bigip: { password: secret('bigip-password') } },
      headers: { authorization: `Basic ${secret('basic')}`, 'x-consul-token': secret('header-token'), 'X-F5-Auth-Token': secret('f5-token') },
    }, 'secrets everywhere');
    const text = JSON.stringify(out.lines()[0]);
    expect(text).not.to.contain('secret-');
    expect(text).to.contain('[redacted]');
  });
});
