// The consul-standin command: listens, prints its address on stdout, logs JSON lines on stderr,
// and stops cleanly on SIGTERM/SIGINT.

import { startConsulStandin, ConsulStandinOptions } from './index';

const USAGE = `usage: consul-standin [--port 8500] [--host 127.0.0.1] [--node standin] [--datacenter dc1] [--token <management token>]
  [--reap-interval 30s-in-ms] [--session-ttl-min ms] [--enable-script-checks]`;

function logLine(event: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), name: 'consul-standin', ...event })}\n`);
}

/** Parses the flags; throws with the usage text on an unknown or incomplete flag. */
export function parseArgs(argv: string[]): ConsulStandinOptions {
  const options: ConsulStandinOptions = { port: 8500 };
  const number = (flag: string, text: string | undefined): number => {
    const value = Number(text);
    if (text === undefined || !Number.isInteger(value) || value < 0) throw new Error(`invalid value for ${flag}: ${text ?? '(missing)'}\n${USAGE}`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const next = (): string => {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`missing value for ${name}\n${USAGE}`);
      return value;
    };
    switch (name) {
      case '--port': options.port = number(name, next()); break;
      case '--host': options.host = next(); break;
      case '--node': options.node = next(); break;
      case '--datacenter': options.datacenter = next(); break;
      case '--token': options.managementToken = next(); break;
      case '--reap-interval': options.reapIntervalMs = number(name, next()); break;
      case '--session-ttl-min': options.sessionTtlMinMs = number(name, next()); break;
      case '--enable-script-checks': options.enableScriptChecks = true; break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown flag ${name}\n${USAGE}`);
    }
  }
  return options;
}

export async function main(argv: string[]): Promise<void> {
  let options: ConsulStandinOptions;
  try {
    options = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  options.managementToken ??= process.env.CONSUL_STANDIN_TOKEN || undefined;
  const standin = await startConsulStandin({ ...options, log: logLine }).catch((err: Error) => {
    logLine({ level: 'fatal', msg: 'could not start', error: err.message });
    process.exit(1);
  });
  process.stdout.write(`consul-standin listening on ${standin.url}\n`);
  logLine({ level: 'info', msg: 'listening', url: standin.url, node: standin.node, acl: Boolean(options.managementToken) });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logLine({ level: 'info', msg: 'stopping', signal });
    const force = setTimeout(() => process.exit(1), 4000);
    force.unref();
    standin.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
