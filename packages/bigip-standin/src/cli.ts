// Command line: `bigip-standin --port <p> --user <u> --password <p> [--host h] [--ca-out file] [--http]`.
import { parseArgs } from 'node:util';
import { startBigipStandin, type BigipStandin, type BigipStandinOptions } from './index';

const USAGE = `usage: bigip-standin [--port <port>] [--user <user>] [--password <password>] [--host <address>]
                     [--ca-out <file>] [--http] [--token-timeout <seconds>] [--transaction-timeout <seconds>]
Serves iControl REST (HTTPS with a fresh CA unless --http) and prints its URL on one line.`;

const STOP_DEADLINE_MS = 5000;

class UsageError extends Error {}

function toNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${flag} must be a non-negative integer, got "${text}"`);
  return value;
}

export function parseCliOptions(argv: string[]): BigipStandinOptions & { help: boolean } {
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
        'ca-out': { type: 'string' },
        http: { type: 'boolean' },
        'token-timeout': { type: 'string' },
        'transaction-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
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
  return {
    help: values.help === true,
    tls: values.http !== true,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.password === undefined ? {} : { password: values.password }),
    ...(values['ca-out'] === undefined ? {} : { caOut: values['ca-out'] }),
    ...(tokenTimeoutSeconds === undefined ? {} : { tokenTimeoutSeconds }),
    ...(transactionTimeoutSeconds === undefined ? {} : { transactionTimeoutSeconds }),
  };
}

export async function main(argv: string[]): Promise<void> {
  let standin: BigipStandin;
  try {
    const { help, ...options } = parseCliOptions(argv);
    if (help) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    standin = await startBigipStandin(options);
  } catch (error) {
    process.stderr.write(`bigip-standin: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
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
