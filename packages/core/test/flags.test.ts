import { expect } from 'chai';
import { ConfigError, parseFlags, type FlagSpec } from '../src';

const spec: Record<string, FlagSpec> = {
  ip: { type: 'string' },
  internal: { type: 'boolean' },
  resync: { type: 'number' },
  template: { type: 'list', path: 'templates' },
  'consul-addr': { type: 'string', path: 'consul.address' },
};

describe('core: Go-style flags', () => {
  const cases: Array<[string, string[], Record<string, unknown>, string[]]> = [
    ['single dash with a separate value', ['-ip', '10.0.0.1'], { ip: '10.0.0.1' }, []],
    ['double dash with =', ['--ip=10.0.0.2'], { ip: '10.0.0.2' }, []],
    ['a bare boolean', ['-internal'], { internal: true }, []],
    ['a boolean set false', ['-internal=false'], { internal: false }, []],
    ['a number', ['-resync', '30'], { resync: 30 }, []],
    ['a repeated list', ['-template', 'a:b', '-template', 'c:d:cmd'], { templates: ['a:b', 'c:d:cmd'] }, []],
    ['a dotted path', ['-consul-addr', '127.0.0.1:8500'], { 'consul.address': '127.0.0.1:8500' }, []],
    ['a positional after the flags', ['-internal', 'consul://127.0.0.1:8500'], { internal: true }, ['consul://127.0.0.1:8500']],
  ];
  for (const [what, argv, values, positionals] of cases) {
    it(`parses ${what}`, () => {
      const parsed = parseFlags(argv, spec);
      expect(parsed.values).to.deep.equal(values);
      expect(parsed.positionals).to.deep.equal(positionals);
    });
  }
  it('stops at the first positional as Go does when asked', () => {
    const parsed = parseFlags(['consul://x', '-ip', '1.2.3.4'], spec, { stopAtFirstPositional: true });
    expect(parsed.values).to.deep.equal({});
    expect(parsed.positionals).to.deep.equal(['consul://x', '-ip', '1.2.3.4']);
  });
  const bad: Array<[string, string[], string]> = [
    ['an unknown flag', ['-nope'], 'nope'],
    ['a missing value', ['-ip'], 'ip'],
    ['a bad number', ['-resync', 'soon'], 'resync'],
    ['a bad boolean', ['-internal=maybe'], 'internal'],
  ];
  for (const [what, argv, field] of bad) {
    it(`rejects ${what}, naming the flag`, () => {
      expect(() => parseFlags(argv, spec)).to.throw(ConfigError).that.satisfies((e: ConfigError) => e.details.field === field);
    });
  }
});
