import { expect } from 'chai';
import { ConfigError, formatDuration, parseDuration } from '../src';

describe('core: durations', () => {
  const cases: Array<[string | number, number]> = [
    ['10s', 10_000], ['250ms', 250], ['1m30s', 90_000], ['1h', 3_600_000], ['1.5s', 1500], ['30', 30_000], [5, 5000], ['0', 0],
  ];
  for (const [input, ms] of cases) {
    it(`parses ${JSON.stringify(input)} as ${ms} ms`, () => expect(parseDuration(input)).to.equal(ms));
  }
  for (const bad of ['', '10x', 's', '1m 3s', '-1s', 'ten']) {
    it(`rejects ${JSON.stringify(bad)} naming the field and value`, () => {
      expect(() => parseDuration(bad, 'wait.min')).to.throw(ConfigError).that.satisfies((e: ConfigError) => e.details.field === 'wait.min' && e.details.value === bad);
    });
  }
  it('formats whole seconds as Consul writes them', () => {
    expect(formatDuration(15_000)).to.equal('15s');
    expect(formatDuration(1500)).to.equal('1500ms');
  });
});
