// fmt.Sprintf as templates use it, case by case against the output Go's fmt gives (fmt package documentation).

import { expect } from 'chai';
import { sprintf } from '../../src/gotemplate/printf';
import { GoFloat, stringSlice, type GoValue } from '../../src/gotemplate/values';

const f = (n: number) => new GoFloat(n);

const CASES: [string, GoValue[], string][] = [
  ['%d|%5d|%-5d|%05d|%+d|% d', [42, 42, 42, -42, 5, 5], '42|   42|42   |-0042|+5| 5'],
  ['%x|%X|%#x|%o|%#o|%O|%b', [-255, 255, 255, 8, 8, 8, 5], '-ff|FF|0xff|10|010|0o10|101'],
  ['%c|%q|%U', [65, 65, 0x1f600], "A|'A'|U+1F600"],
  ['%s|%10s|%-10s|%.2s|%q|%x', ['go', 'right', 'left', 'trunc', 'a"b\n', 'hi'], 'go|     right|left      |tr|"a\\"b\\n"|6869'],
  ['%f|%.2f|%8.3f|%e|%.2E|%g|%.3g|%G', [f(3.14159), f(3.14159), f(3.14159), f(1234.5678), f(1234.5678), f(0.000012345), f(1234.5678), f(1e21)],
    '3.141590|3.14|   3.142|1.234568e+03|1.23E+03|1.2345e-05|1.23e+03|1E+21'],
  ['%v|%v|%v|%v', [f(1e6), f(123456), f(0.0001), f(-2.5)], '1e+06|123456|0.0001|-2.5'],
  ['%t|%v|%5t', [true, false, true], 'true|false| true'],
  ['%v|%s|%d|%5s', [stringSlice(['a', 'b']), stringSlice(['a', 'b']), stringSlice(['a']), stringSlice(['a'])], '[a b]|[a b]|[%!d(string=a)]|[    a]'],
  ['%T|%T|%T|%T', [1, f(1), 'x', stringSlice([])], 'int|float64|string|[]string'],
  ['%d %s', ['x'], '%!d(string=x) %!s(MISSING)'],
  ['%v %d', [null, null], '<nil> %!d(<nil>)'],
  ['x', [1, 'y'], 'x%!(EXTRA int=1, string=y)'],
  ['100%%|%', [], '100%|%!(NOVERB)'],
  ['%z', [1], '%!z(int=1)'],
  ['%*d|%-*d|%.*f', [4, 7, 4, 7, 1, f(2.25)], '   7|7   |2.2'],
  // Rounding is half to even on the exact binary value (1.005 is 1.00499999999999989...).
  ['%.0f|%.2f|%.0e|%.20f|%e', [f(0.5), f(1.005), f(25), f(0.1), f(0)], '0|1.00|2e+01|0.10000000000000000555|0.000000e+00'],
];

describe('gotemplate printf', () => {
  for (const [format, args, want] of CASES) {
    it(`${format} -> ${want}`, () => {
      expect(sprintf(format, args)).to.equal(want);
    });
  }
});
