// Command line: `bigip-standin [--port <p>] [--user <u>] [--password-file <f>] [--host h] [--ca-out file] [--http]`,
// by the project's one CLI convention: help on stdout (0), -version (0), usage errors on stderr (2), a password
// source that cannot be read (78), a start failure (1). The password comes from a file or the environment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PasswordSourceError, resolvePassword } from './auth';
import { startBigipStandin, type BigipStandin, type BigipStandinOptions } from './index';

const USAGE = `usage: bigip-standin [--port <port>] [--user <user>] [--password-file <file>] [--host <address>]
                     [--ca-out <file>] [--http] [--token-timeout <seconds>] [--transaction-timeout <seconds>]
Serves iControl REST (HTTPS with a fresh CA unless --http) and prints its URL on one line.

  --port <port>                   listen port (default 0: a free port)
  --host <address>                listen address (default 127.0.0.1)
  --user <user>                   the one account's user name (default admin)
  --password-file <file>          the account's password: the file's content without its trailing newline
  --password <password>           the same on the command line: visible in ps, kept working with a warning
  --ca-out <file>                 write the CA certificate (PEM) that signed the server certificate
  --http                          plain HTTP instead of HTTPS
  --token-timeout <seconds>       login token lifetime (default 1200)
  --transaction-timeout <seconds> how long an uncommitted transaction lives (default 30)
  -version                        print the version and exit
  -help                           show this help

Environment (when no password flag is given): BIGIP_STANDIN_PASSWORD_FILE, BIGIP_STANDIN_PASSWORD, then
BIGIP_PASSWORD (the stack's secrets file); none of them: the password is admin.
Exit codes: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 usage error, 78 the password source is unusable.`;

const STOP_DEADLINE_MS = 5000;

export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

class UsageError extends Error {}

function toNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${flag} must be a non-negative integer, got "${text}"`);
  return value;
}

export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: BigipStandinOptions; warnings: string[] };

export interface CliEnvironment {
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}

/** argv -> what to do; throws UsageError (exit 2) or PasswordSourceError (2 or 78, per its `usage`). */
export function readCommand(argv: string[], { env = process.env, readFile }: CliEnvironment = {}): CliCommand {
  if (argv.some((word) => /^--?(h|help)$/.test(word))) return { kind: 'help' };
  if (argv.length === 1 && /^--?(v|version)$/.test(argv[0] as string)) return { kind: 'version' };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        'password-file': { type: 'string' },
        'ca-out': { type: 'string' },
        http: { type: 'boolean' },
        'token-timeout': { type: 'string' },
        'transaction-timeout': { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const port = toNumber('port', values.port);
  if (port !== undefined && port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  if (values.http && values['ca-out']) throw new UsageError('--ca-out makes no sense with --http');
  const tokenTimeoutSeconds = toNumber('token-timeout', values['token-timeout']);
  const transactionTimeoutSeconds = toNumber('transaction-timeout', values['transaction-timeout']);
  const { password, warnings } = resolvePassword({ password: values.password, passwordFile: values['password-file'] }, env, readFile);
  const options: BigipStandinOptions = {
    tls: values.http !== true,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(password === undefined ? {} : { password }),
    ...(values['ca-out'] === undefined ? {} : { caOut: values['ca-out'] }),
    ...(tokenTimeoutSeconds === undefined ? {} : { tokenTimeoutSeconds }),
    ...(transactionTimeoutSeconds === undefined ? {} : { transactionTimeoutSeconds }),
  };
  return { kind: 'run', options, warnings };
}

/** The options alone (help as a flag), as before the convention; new code reads `readCommand`. */
export function parseCliOptions(argv: string[], environment: CliEnvironment = {}): BigipStandinOptions & { help: boolean } {
  const command = readCommand(argv, environment);
  if (command.kind === 'run') return { help: false, ...command.options };
  return { help: true };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let command: CliCommand;
  try {
    command = readCommand(argv, { env });
  } catch (error) {
    const usage = error instanceof UsageError || (error instanceof PasswordSourceError && error.usage);
    process.stderr.write(`bigip-standin: ${error instanceof Error ? error.message : String(error)}\n`);
    if (usage) process.stderr.write('run `bigip-standin -help` for the flags\n');
    process.exitCode = usage ? EXIT.usage : EXIT.config;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`bigip-standin ${version()}\n`);
    return;
  }
  for (const warning of command.warnings) process.stderr.write(`bigip-standin: warning: ${warning}\n`);
  let standin: BigipStandin;
  try {
    standin = await startBigipStandin(command.options);
  } catch (error) {
    process.stderr.write(`bigip-standin: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failure;
    return;
  }
  process.stdout.write(`${standin.url}\n`);

  const shutdown = (signal: NodeJS.Signals) => {
    process.stderr.write(`bigip-standin: ${signal}, stopping\n`);
    // Stop within 5 s even if a client holds a connection open.
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
    standin.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`bigip-standin: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
