import { expect } from 'chai';
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

  it('redacts tokens, passwords and auth headers wherever a call site puts them', () => {
    const out = capture();
    const logger = createLogger({ name: 't', destination: out.stream });
    logger.warn({
      token: 'T1', password: 'P1',
      config: { consul: { token: 'T2' }, bigip: { password: 'P2' } },
      headers: { authorization: 'Basic xyz', 'x-consul-token': 'T3', 'X-F5-Auth-Token': 'T4' },
    }, 'secrets everywhere');
    const text = JSON.stringify(out.lines()[0]);
    for (const secret of ['T1', 'P1', 'T2', 'P2', 'Basic xyz', 'T3', 'T4']) expect(text).not.to.contain(secret);
    expect(text).to.contain('[redacted]');
  });
});
