// env, envOrDefault and timestamp: what a template reads from the process and the clock.

import { str } from '../params';
import { GoCallError } from '../values';
import { formatGoTime } from './go-time';
import { fixed, variadic, type FunctionTable, type RenderContext } from './render-context';

export function systemFunctions(ctx: RenderContext, table: FunctionTable): void {
  table.set('env', fixed(1, (args) => ctx.env[str(args, 0)] ?? ''));
  // The default only when the variable is unset: an empty value is kept (consul-template's envOrDefault).
  table.set('envOrDefault', fixed(2, (args) => ctx.env[str(args, 0)] ?? str(args, 1)));
  table.set('mustEnv', fixed(1, (args) => {
    const value = ctx.env[str(args, 0)] ?? '';
    if (value === '') throw new GoCallError(`required environment variable ${str(args, 0)} is empty`);
    return value;
  }));
  table.set('timestamp', variadic(0, (args) => {
    const now = ctx.now();
    if (args.length === 0) return formatGoTime(now, '2006-01-02T15:04:05Z07:00');
    if (args.length > 1) throw new GoCallError(`timestamp: wrong number of arguments, expected 0 or 1, but got ${args.length}`);
    const layout = str(args, 0);
    if (layout === 'unix') return String(Math.floor(now.getTime() / 1000));
    return formatGoTime(now, layout);
  }));
}
