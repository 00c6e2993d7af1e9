// Go's time.Format for a UTC time: the reference-date layout (Mon Jan 2 15:04:05 MST 2006) that `timestamp` takes.

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const two = (n: number) => String(n).padStart(2, '0');

/** Layout elements, longest first so "January" wins over "Jan" and "2006" over "2". */
const ELEMENTS: [RegExp, (d: Date) => string][] = [
  [/^January/, (d) => MONTHS[d.getUTCMonth()]],
  [/^Monday/, (d) => DAYS[d.getUTCDay()]],
  [/^2006/, (d) => String(d.getUTCFullYear()).padStart(4, '0')],
  [/^Z07:00:00/, () => 'Z'],
  [/^Z07:00/, () => 'Z'],
  [/^Z0700/, () => 'Z'],
  [/^Z07/, () => 'Z'],
  [/^-07:00:00/, () => '+00:00:00'],
  [/^-07:00/, () => '+00:00'],
  [/^-0700/, () => '+0000'],
  [/^-07/, () => '+00'],
  [/^MST/, () => 'UTC'],
  [/^Jan/, (d) => MONTHS[d.getUTCMonth()].slice(0, 3)],
  [/^Mon/, (d) => DAYS[d.getUTCDay()].slice(0, 3)],
  [/^002/, (d) => String(dayOfYear(d)).padStart(3, '0')],
  [/^__2/, (d) => String(dayOfYear(d)).padStart(3, ' ')],
  [/^[.,](0+|9+)/, () => ''],
  [/^06/, (d) => two(d.getUTCFullYear() % 100)],
  [/^01/, (d) => two(d.getUTCMonth() + 1)],
  [/^02/, (d) => two(d.getUTCDate())],
  [/^_2/, (d) => String(d.getUTCDate()).padStart(2, ' ')],
  [/^15/, (d) => two(d.getUTCHours())],
  [/^03/, (d) => two(d.getUTCHours() % 12 || 12)],
  [/^04/, (d) => two(d.getUTCMinutes())],
  [/^05/, (d) => two(d.getUTCSeconds())],
  [/^PM/, (d) => (d.getUTCHours() >= 12 ? 'PM' : 'AM')],
  [/^pm/, (d) => (d.getUTCHours() >= 12 ? 'pm' : 'am')],
  [/^1/, (d) => String(d.getUTCMonth() + 1)],
  [/^2/, (d) => String(d.getUTCDate())],
  [/^3/, (d) => String(d.getUTCHours() % 12 || 12)],
  [/^4/, (d) => String(d.getUTCMinutes())],
  [/^5/, (d) => String(d.getUTCSeconds())],
];

function dayOfYear(d: Date): number {
  return Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
}

function fraction(d: Date, spec: string): string {
  const digits = spec.length - 1;
  const ms = String(d.getUTCMilliseconds()).padStart(3, '0') + '000000';
  let frac = ms.slice(0, digits);
  if (spec[1] === '9') {
    frac = frac.replace(/0+$/, '');
    return frac === '' ? '' : spec[0] + frac;
  }
  return spec[0] + frac;
}

export function formatGoTime(d: Date, layout: string): string {
  let out = '';
  let rest = layout;
  outer: while (rest.length > 0) {
    for (const [re, fn] of ELEMENTS) {
      const m = re.exec(rest);
      if (!m) continue;
      // ".000"/".999" is a fractional second only as a run of one digit not followed by another digit.
      if (/^[.,]/.test(m[0])) {
        if (!/^.(0+|9+)$/.test(m[0]) || /[0-9]/.test(rest[m[0].length] ?? '')) break;
        out += fraction(d, m[0]);
      } else out += fn(d);
      rest = rest.slice(m[0].length);
      continue outer;
    }
    out += rest[0];
    rest = rest.slice(1);
  }
  return out;
}
