// strconv.FormatFloat's %e, %f and %g for float64: shortest digits (as %v prints them) or a given precision, rounded
// half to even on the exact binary value as Go does (JS's toFixed/toExponential round ties away from zero).

/** |x| as an exact decimal: digits × 10^scale (every double has a finite decimal expansion). */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let exp2 = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return { digits: mantissa << BigInt(exp2), scale: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-exp2), scale: exp2 };
}

/** Drops `drop` trailing decimal digits, rounding half to even (a negative drop appends zeros). */
function roundHalfEven(d: bigint, drop: number): bigint {
  if (drop <= 0) return d * 10n ** BigInt(-drop);
  const unit = 10n ** BigInt(drop);
  let q = d / unit;
  const r = d % unit;
  const half = unit / 2n;
  if (r > half || (r === half && q % 2n === 1n)) q += 1n;
  return q;
}

/** |x| rounded to `n` significant digits: exactly n digits and the exponent of the first. */
function significant(x: number, n: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(n), exp: 0 };
  const { digits, scale } = exactDecimal(x);
  const length = digits.toString().length;
  let exp = length - 1 + scale;
  let s = roundHalfEven(digits, length - n).toString();
  if (s.length > n) {
    // 9.99 -> 10.0: one more digit, all zeros after the 1.
    s = s.slice(0, n);
    exp++;
  }
  return { digits: s, exp };
}

/** |x| with exactly `decimals` digits after the point. */
function fixedDecimals(x: number, decimals: number): string {
  const { digits, scale } = exactDecimal(x);
  const s = roundHalfEven(digits, -(scale + decimals)).toString().padStart(decimals + 1, '0');
  return decimals === 0 ? s : `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

/** Decimal digits and the exponent of the shortest representation that round-trips (as strconv's shortest). */
export function shortestDigits(x: number): { digits: string; exp: number } {
  const [mantissa, e] = Math.abs(x).toExponential().split('e');
  return { digits: mantissa.replace('.', ''), exp: Number(e) };
}

/** Go's exponent form: at least two exponent digits (`1e+06`, `1.5e-07`). */
function exponentSuffix(exp: number, upper = false): string {
  const sign = exp < 0 ? '-' : '+';
  return `${upper ? 'E' : 'e'}${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function signOf(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

function nonFinite(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  return x > 0 ? '+Inf' : '-Inf';
}

function scientific(sign: string, digits: string, exp: number, upper: boolean): string {
  const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${body}${exponentSuffix(exp, upper)}`;
}

/** Digits placed around the decimal point without an exponent. */
function positional(sign: string, digits: string, exp: number): string {
  const dp = exp + 1;
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`;
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length);
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`;
}

/** %e with `prec` digits after the point (-1: shortest). */
export function formatFloatE(x: number, prec: number, upper = false): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const { digits, exp } = prec < 0 ? shortestDigits(x) : significant(Math.abs(x), prec + 1);
  return scientific(signOf(x), digits, exp, upper);
}

/** %f with `prec` decimals (-1: shortest, as strconv.FormatFloat(x, 'f', -1, 64)). */
export function formatFloatF(x: number, prec: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  if (prec >= 0) return signOf(x) + fixedDecimals(x, prec);
  const { digits, exp } = shortestDigits(x);
  return positional(signOf(x), digits, exp);
}

/** %g (and %v, which is %g with shortest digits): %e when the exponent is < -4 or >= the precision (6 if shortest). */
export function formatFloatG(x: number, prec: number, upper = false): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const p = prec === 0 ? 1 : prec;
  const rounded = prec < 0 ? shortestDigits(x) : significant(Math.abs(x), p);
  const digits = rounded.digits.replace(/(?<=.)0+$/, '');
  const eprec = prec < 0 ? 6 : p;
  if (rounded.exp < -4 || rounded.exp >= eprec) return scientific(x < 0 ? '-' : '', digits, rounded.exp, upper);
  return positional(x < 0 ? '-' : '', digits, rounded.exp);
}
