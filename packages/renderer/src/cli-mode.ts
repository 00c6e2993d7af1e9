// Which command line the `renderer` bin reads: its own, or consul-template's (an HCL config, a consul-template flag).

import { readFileSync, statSync } from 'node:fs';
import { CT_FLAGS } from './compat/ct-flags';
import { rendererFlags } from './config/flags';

export type CliMode = 'renderer' | 'consul-template';

/** What a -config path holds, as far as the choice needs it. */
export type ConfigKind = 'renderer-json' | 'consul-template' | 'unreadable';

/** -h/-help/-v/-version: both command lines answer them (the renderer's through core's convention, cli.ts). */
const CONVENTION_FLAGS: ReadonlySet<string> = new Set(['h', 'help', 'v', 'version']);

/** Flags only consul-template's command line has (-exec, -consul-token, -pid-file, ...). */
export const CONSUL_TEMPLATE_ONLY_FLAGS: ReadonlySet<string> = new Set(Object.keys(CT_FLAGS).filter((name) => !(name in rendererFlags) && !CONVENTION_FLAGS.has(name)));

/** The flag names in argv, in order (`-name`, `--name`, `-name=value`); values and positionals are skipped. */
export function flagNames(argv: readonly string[]): { name: string; value?: string }[] {
  const out: { name: string; value?: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') break;
    if (!word.startsWith('-') || word === '-') continue;
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = CT_FLAGS[name] ?? rendererFlags[name];
    if (eq !== -1) out.push({ name, value: body.slice(eq + 1) });
    else if (spec && spec.type !== 'boolean') out.push({ name, value: argv[++i] });
    else out.push({ name });
  }
  return out;
}

/**
 * consul-template's mode when any flag only it has is given, -config is given more than once, or a -config file is
 * consul-template's (HCL, a directory, or JSON with `template` and no `templates`). Pure: the file is judged by `kindOf`.
 */
export function chooseCliMode(argv: readonly string[], kindOf: (path: string) => ConfigKind): CliMode {
  const flags = flagNames(argv);
  if (flags.some((f) => CONSUL_TEMPLATE_ONLY_FLAGS.has(f.name))) return 'consul-template';
  const configs = flags.filter((f) => f.name === 'config' && f.value !== undefined).map((f) => f.value as string);
  if (configs.length > 1) return 'consul-template';
  return configs.some((path) => kindOf(path) === 'consul-template') ? 'consul-template' : 'renderer';
}

/** Reads a -config path far enough to say whose it is; an unreadable one is left to the renderer's own error. */
export function configKindOf(path: string): ConfigKind {
  try {
    if (statSync(path).isDirectory()) return 'consul-template';
    if (/\.hcl$/i.test(path)) return 'consul-template';
    const text = readFileSync(path, 'utf8');
    if (!text.trimStart().startsWith('{')) return 'consul-template';
    const raw: unknown = JSON.parse(text);
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'template' in raw && !('templates' in raw)) return 'consul-template';
    return 'renderer-json';
  } catch {
    return 'unreadable';
  }
}
