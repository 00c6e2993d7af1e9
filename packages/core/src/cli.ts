// One command-line convention for every bin: help on stdout with exit 0, -version, usage errors on stderr with
// exit 2, config errors with exit 78 (EX_CONFIG), and the command's own code otherwise. Documented in the README.

import { ConfigError } from './errors';
import { describeFlags, parseFlags, type FlagSpec, type ParsedFlags } from './flags';

/** Exit codes every bin shares; a command may add its own (e.g. `healer check`'s Nagios 0/1/2/3). */
export const EXIT = {
  ok: 0,
  /** --once or a command that ran and failed (a write refused, a pass failed). */
  failure: 1,
  /** The command line itself is wrong: an unknown flag, a missing or bad value, a missing argument. */
  usage: 2,
  /** A config file or environment value is invalid (sysexits' EX_CONFIG). */
  config: 78,
} as const;

export interface CommandLineSpec {
  /** The bin's name, as the user types it. */
  name: string;
  version: string;
  /** The usage lines (without the flag list, which is generated). */
  usage: string;
  flags: Record<string, FlagSpec>;
  stopAtFirstPositional?: boolean;
}

export type CommandLine = { kind: 'help'; text: string } | { kind: 'version'; text: string } | { kind: 'run'; flags: ParsedFlags };

const HELP = /^--?(h|help)$/;
const VERSION = /^--?(v|version)$/;

export function helpText(spec: CommandLineSpec): string {
  return `${spec.usage.trimEnd()}\n\n${describeFlags(spec.flags)}\n  -version\tprint the version and exit\n  -help\tshow this help\n`;
}

/**
 * Reads argv by the convention: -h/-help/--help anywhere before `--` -> help, a lone -v/-version -> version,
 * else the flags (a ConfigError for an unknown flag or a bad value is a usage error: exit 2).
 */
export function readCommandLine(argv: readonly string[], spec: CommandLineSpec): CommandLine {
  const beforeDashes = argv.indexOf('--') === -1 ? argv : argv.slice(0, argv.indexOf('--'));
  if (beforeDashes.some((word) => HELP.test(word))) return { kind: 'help', text: helpText(spec) };
  if (argv.length === 1 && VERSION.test(argv[0])) return { kind: 'version', text: `${spec.name} ${spec.version}\n` };
  return { kind: 'run', flags: parseFlags(argv, spec.flags, { stopAtFirstPositional: spec.stopAtFirstPositional }) };
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * Runs a bin by the convention and resolves with its exit code (the caller exits with it): help and version on
 * stdout (0), usage errors on stderr naming the flag (2), a ConfigError from `main` (78), anything else thrown (1).
 */
export async function runCommandLine(argv: readonly string[], spec: CommandLineSpec, main: (flags: ParsedFlags) => Promise<number>, io: CliIo = processIo): Promise<number> {
  let line: CommandLine;
  try {
    line = readCommandLine(argv, spec);
  } catch (error) {
    io.stderr(`${spec.name}: ${error instanceof Error ? error.message : String(error)}\nrun \`${spec.name} -help\` for the flags\n`);
    return EXIT.usage;
  }
  if (line.kind !== 'run') {
    io.stdout(line.text);
    return EXIT.ok;
  }
  try {
    return await main(line.flags);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${spec.name}: ${error.message}\n`);
      return EXIT.config;
    }
    io.stderr(`${spec.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failure;
  }
}
