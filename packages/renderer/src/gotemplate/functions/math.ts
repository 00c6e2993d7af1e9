// consul-template's math helpers. The piped value comes last and is the left operand: `{{ 5 | subtract 2 }}` is 3.
// int op int stays int (division truncates), anything with a float is float64, as Go's reflect-based versions do.

import { formatValue } from '../format';
import { GoCallError, GoFloat, goTypeName, type GoValue } from '../values';
import { fixed, type FunctionTable } from './render-context';

type Op = 'add' | 'subtract' | 'multiply' | 'divide' | 'modulo' | 'minimum' | 'maximum';

function unknown(name: Op, v: GoValue): GoCallError {
  const shown = typeof v === 'string' ? JSON.stringify(v) : formatValue(v);
  return new GoCallError(`${name}: unknown type for ${shown} (${goTypeName(v)})`);
}

function operand(name: Op, v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoFloat && name !== 'modulo') return v.value;
  throw unknown(name, v);
}

function apply(name: Op, b: GoValue, a: GoValue): GoValue {
  const x = operand(name, a);
  const y = operand(name, b);
  const ints = typeof a === 'number' && typeof b === 'number';
  const wrap = (n: number): GoValue => (ints ? n : new GoFloat(n));
  switch (name) {
    case 'add': return wrap(x + y);
    case 'subtract': return wrap(x - y);
    case 'multiply': return wrap(x * y);
    case 'divide':
      if (ints && y === 0) throw new GoCallError('runtime error: integer divide by zero');
      return wrap(ints ? Math.trunc(x / y) : x / y);
    case 'modulo':
      if (y === 0) throw new GoCallError('runtime error: integer divide by zero');
      return x % y;
    // The smaller/larger operand keeps its own type.
    case 'minimum': return x < y ? a : b;
    case 'maximum': return x > y ? a : b;
  }
}

export function mathFunctions(table: FunctionTable): void {
  for (const name of ['add', 'subtract', 'multiply', 'divide', 'modulo', 'minimum', 'maximum'] as const) {
    table.set(name, fixed(2, ([b, a]) => apply(name, b, a)));
  }
}
