// Command-line flags parsed the way Go's `flag` package does (`-x v`, `--x=v`, booleans as `-x` or `-x=false`),
// so registrator and consul-template users keep their command lines.

import { ConfigError } from './errors';

export type FlagType = 'string' | 'boolean' | 'number' | 'list';

export interface FlagSpec {
  type: FlagType;
  /** Config path the value lands on (dot separated); defaults to the flag name. */
  path?: string;
  description?: string;
  /** This name is an older spelling of another flag (kept working, listed under the flag it stands for). */
  aliasOf?: string;
}

export interface ParsedFlags {
  /** Values keyed by the spec's `path` (or flag name), as typed values. */
  values: Record<string, unknown>;
  positionals: string[];
}

export interface ParseFlagsOptions {
  /** Go's flag package stops at the first positional: later words are positionals even when they look like flags. */
  stopAtFirstPositional?: boolean;
}

export function parseFlags(argv: readonly string[], spec: Record<string, FlagSpec>, options: ParseFlagsOptions = {}): ParsedFlags {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      positionals.push(word);
      if (options.stopAtFirstPositional) {
        positionals.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const given = spec[name];
    if (!given) throw new ConfigError(`unknown flag -${name}`, { field: name, source: 'flags' });
    const canonical = given.aliasOf ?? name;
    const definition = given.aliasOf ? spec[given.aliasOf] : given;
    if (!definition) throw new ConfigError(`flag -${name} is an alias of -${given.aliasOf}, which is not defined`, { field: name, source: 'flags' });
    const key = definition.path ?? canonical;
    let raw: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (definition.type === 'boolean') {
      if (raw === undefined) raw = 'true';
      if (!/^(true|false|1|0)$/i.test(raw)) throw new ConfigError(`flag -${name}: invalid boolean "${raw}"`, { field: name, value: raw, source: 'flags' });
      values[key] = /^(true|1)$/i.test(raw);
      continue;
    }
    if (raw === undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`flag -${name} needs a value`, { field: name, source: 'flags' });
      raw = argv[++i];
    }
    if (definition.type === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new ConfigError(`flag -${name}: invalid number "${raw}"`, { field: name, value: raw, source: 'flags' });
      values[key] = n;
    } else if (definition.type === 'list') {
      values[key] = [...((values[key] as string[] | undefined) ?? []), raw];
    } else {
      values[key] = raw;
    }
  }
  return { values, positionals };
}

/** One line per flag, for --help; an alias is named on the line of the flag it stands for. */
export function describeFlags(spec: Record<string, FlagSpec>): string {
  const aliases = (name: string) => Object.entries(spec).filter(([, s]) => s.aliasOf === name).map(([alias]) => `-${alias}`);
  return Object.entries(spec)
    .filter(([, s]) => s.aliasOf === undefined)
    .map(([name, s]) => {
      const also = aliases(name);
      return `  -${name}${s.type === 'boolean' ? '' : ` <${s.type}>`}${s.description ? `\t${s.description}` : ''}${also.length ? ` (also ${also.join(', ')})` : ''}`;
    })
    .join('\n');
}
