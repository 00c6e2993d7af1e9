// The consul-standin command: a single node (no subcommand, as before), or `server` / `agent` for
// a cluster. Listens, prints its address on stdout, logs JSON lines on stderr, stops cleanly on
// SIGTERM/SIGINT (an agent leaves the cluster first, as Consul's clients do by default).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { parseGoDuration } from './duration';
import {
  ConsulAgent,
  ConsulAgentOptions,
  ConsulServerOptions,
  ConsulStandin,
  ConsulStandinOptions,
  startConsulAgent,
  startConsulServer,
  startConsulStandin,
} from './index';

const USAGE = `usage: consul-standin [--port 8500] [--host 127.0.0.1] [--node standin] [--datacenter dc1] [--token-file F]
  [--reap-interval 30s-in-ms] [--session-ttl-min ms] [--enable-script-checks]
  [--http-max-conns-per-client 200] [--config-file agent.json]
       consul-standin server [--port 8500] [--bind 127.0.0.1] [--node server-1] [--datacenter dc1] [--token T]
  [--failure-detection 5s] [--heartbeat-interval 1s] [--federate dc2=HOST:PORT]... [--advertise ADDR]
       consul-standin agent --server-addr HOST:PORT --node NAME [--bind 127.0.0.1] [--port 8500] [--advertise ADDR]
  [--datacenter dc1] [--token T] [--heartbeat-interval D] [--anti-entropy-interval 60s] [--node-id UUID] [--data-dir DIR]
  (cluster flags take one dash or two; durations are Go durations or milliseconds; every command takes
  --http-max-conns-per-client N (0: no limit) and --config-file F, a Consul JSON config file of which the
  stand-in reads limits.http_max_conns_per_client; a flag beats the file, as in Consul)
  The management token (ACLs on when set): --token-file F, else CONSUL_STANDIN_TOKEN_FILE, else
  CONSUL_STANDIN_TOKEN; --token T still works but warns (a command line is visible in ps).
Exit codes: 0 stopped cleanly, 1 could not start, 2 a usage error, 78 the token file cannot be read or is empty.`;

/** A token file that cannot be read, or holds no token: a config error (78), not a usage error. */
class TokenFileError extends Error {}

/** The first line of a token file, trimmed; the file named in the error, never its contents. */
export function readTokenFile(source: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenFileError(`${source} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const token = text.split('\n')[0]?.trim() ?? '';
  if (token === '') throw new TokenFileError(`${source} ${path}: holds no token`);
  return token;
}

function logLine(event: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), name: 'consul-standin', ...event })}\n`);
}

type Flags = Map<string, string[]>;

/** Splits argv into flags with values; `boolean` names take none. Throws with the usage text. */
function readFlags(argv: string[], known: Set<string>, boolean: Set<string>, dashes: 1 | 2): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [spelled, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const name = dashes === 1 ? spelled.replace(/^--?/, '--') : spelled;
    if (name === '--help' || name === '-h') throw new Error(USAGE);
    if (!known.has(name)) throw new Error(`unknown flag ${spelled}\n${USAGE}`);
    let value = 'true';
    if (!boolean.has(name)) {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new Error(`missing value for ${spelled}\n${USAGE}`);
      value = next;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

function integer(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`invalid value for ${flag}: ${text}\n${USAGE}`);
  return value;
}

/** A Go duration ("2s") or plain milliseconds. */
function duration(flag: string, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  try {
    return parseGoDuration(text);
  } catch {
    throw new Error(`invalid value for ${flag}: ${text} (a duration such as 2s, or milliseconds)\n${USAGE}`);
  }
}

const LIMIT_FLAGS = ['--http-max-conns-per-client', '--config-file'];
const SINGLE_FLAGS = ['--port', '--host', '--node', '--datacenter', '--token', '--token-file', '--reap-interval', '--session-ttl-min', '--enable-script-checks', ...LIMIT_FLAGS];
const COMMON_CLUSTER_FLAGS = ['--port', '--bind', '--host', '--node', '--datacenter', '--token', '--token-file', '--advertise', '--node-id', '--data-dir',
  '--reap-interval', '--session-ttl-min', '--enable-script-checks', '--heartbeat-interval', ...LIMIT_FLAGS];

/** The part of a Consul JSON config file the stand-in honours: limits.http_max_conns_per_client. Other keys are errors. */
export function readConfigFile(path: string): Pick<ConsulStandinOptions, 'httpMaxConnsPerClient'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--config-file ${path}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`--config-file ${path}: want a JSON object`);
  const options: Pick<ConsulStandinOptions, 'httpMaxConnsPerClient'> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key !== 'limits') throw new Error(`--config-file ${path}: the stand-in does not read "${key}" (it reads limits.http_max_conns_per_client)`);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`--config-file ${path}: limits: want an object`);
    for (const [limit, n] of Object.entries(value)) {
      if (limit !== 'http_max_conns_per_client') throw new Error(`--config-file ${path}: the stand-in does not read "limits.${limit}"`);
      if (!Number.isInteger(n) || (n as number) < 0) throw new Error(`--config-file ${path}: limits.http_max_conns_per_client: want an integer >= 0, got ${JSON.stringify(n)}`);
      options.httpMaxConnsPerClient = n as number;
    }
  }
  return options;
}

function commonOptions(flags: Flags): ConsulStandinOptions {
  const one = (name: string) => flags.get(name)?.at(-1);
  const options: ConsulStandinOptions = { port: 8500 };
  const port = one('--port');
  if (port !== undefined) options.port = integer('--port', port);
  const host = one('--bind') ?? one('--host');
  if (host !== undefined) options.host = host;
  if (one('--node') !== undefined) options.node = one('--node');
  if (one('--datacenter') !== undefined) options.datacenter = one('--datacenter');
  const tokenFile = one('--token-file');
  if (tokenFile !== undefined) {
    options.managementToken = readTokenFile('--token-file', tokenFile);
  } else if (one('--token') !== undefined) {
    options.managementToken = one('--token');
    logLine({ level: 'warn', msg: '--token puts the management token on the command line, visible in ps: use --token-file or CONSUL_STANDIN_TOKEN_FILE' });
  }
  if (one('--advertise') !== undefined) options.advertiseAddress = one('--advertise');
  if (one('--node-id') !== undefined) options.nodeId = one('--node-id');
  if (one('--data-dir') !== undefined) options.dataDir = one('--data-dir');
  const reap = one('--reap-interval');
  if (reap !== undefined) options.reapIntervalMs = integer('--reap-interval', reap);
  const ttlMin = one('--session-ttl-min');
  if (ttlMin !== undefined) options.sessionTtlMinMs = integer('--session-ttl-min', ttlMin);
  if (flags.has('--enable-script-checks')) options.enableScriptChecks = true;
  const configFile = one('--config-file');
  if (configFile !== undefined) Object.assign(options, readConfigFile(configFile));
  const maxConns = one('--http-max-conns-per-client');
  if (maxConns !== undefined) options.httpMaxConnsPerClient = integer('--http-max-conns-per-client', maxConns);
  return options;
}

/** Parses the single-node flags; throws with the usage text on an unknown or incomplete flag. */
export function parseArgs(argv: string[]): ConsulStandinOptions {
  return commonOptions(readFlags(argv, new Set(SINGLE_FLAGS), new Set(['--enable-script-checks']), 2));
}

export function parseServerArgs(argv: string[]): ConsulServerOptions {
  const known = new Set([...COMMON_CLUSTER_FLAGS, '--failure-detection', '--federate']);
  const flags = readFlags(argv, known, new Set(['--enable-script-checks']), 1);
  const options: ConsulServerOptions = { ...commonOptions(flags) };
  const detection = flags.get('--failure-detection')?.at(-1);
  if (detection !== undefined) options.failureDetectionMs = duration('--failure-detection', detection);
  const heartbeat = flags.get('--heartbeat-interval')?.at(-1);
  if (heartbeat !== undefined) options.heartbeatIntervalMs = duration('--heartbeat-interval', heartbeat);
  options.federation = (flags.get('--federate') ?? []).map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) throw new Error(`invalid value for --federate: ${spec} (want DC=HOST:PORT)\n${USAGE}`);
    return { datacenter: spec.slice(0, at), address: spec.slice(at + 1) };
  });
  return options;
}

export function parseAgentArgs(argv: string[]): ConsulAgentOptions {
  const known = new Set([...COMMON_CLUSTER_FLAGS, '--server-addr', '--anti-entropy-interval']);
  const flags = readFlags(argv, known, new Set(['--enable-script-checks']), 1);
  const serverAddress = flags.get('--server-addr')?.at(-1);
  if (!serverAddress) throw new Error(`missing -server-addr (the server's HOST:PORT)\n${USAGE}`);
  const options: ConsulAgentOptions = { node: hostname(), ...commonOptions(flags), serverAddress };
  const heartbeat = flags.get('--heartbeat-interval')?.at(-1);
  if (heartbeat !== undefined) options.heartbeatIntervalMs = duration('--heartbeat-interval', heartbeat);
  const antiEntropy = flags.get('--anti-entropy-interval')?.at(-1);
  if (antiEntropy !== undefined) options.antiEntropyIntervalMs = duration('--anti-entropy-interval', antiEntropy);
  return options;
}

function serve(standin: ConsulStandin, details: Record<string, unknown>, beforeStop?: () => Promise<void>): void {
  process.stdout.write(`consul-standin listening on ${standin.url}\n`);
  logLine({ level: 'info', msg: 'listening', url: standin.url, node: standin.node, ...details });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logLine({ level: 'info', msg: 'stopping', signal });
    const force = setTimeout(() => process.exit(1), 4000);
    force.unref();
    (beforeStop ? beforeStop().catch((err: Error) => logLine({ level: 'warn', msg: 'leave failed', error: err.message })) : Promise.resolve())
      .then(() => standin.stop())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<void> {
  const command = argv[0] === 'server' || argv[0] === 'agent' ? argv[0] : 'single';
  const rest = command === 'single' ? argv : argv.slice(1);
  // The project's one CLI convention: help on stdout with exit 0, -version, usage errors exit 2.
  if (rest.some((word) => /^--?(h|help)$/.test(word))) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (rest.length === 1 && /^--?(v|version)$/.test(rest[0] as string)) {
    process.stdout.write(`consul-standin ${version()}\n`);
    return;
  }
  let options: ConsulStandinOptions;
  try {
    options = command === 'server' ? parseServerArgs(rest) : command === 'agent' ? parseAgentArgs(rest) : parseArgs(rest);
    if (options.managementToken === undefined && process.env.CONSUL_STANDIN_TOKEN_FILE) {
      options.managementToken = readTokenFile('CONSUL_STANDIN_TOKEN_FILE', process.env.CONSUL_STANDIN_TOKEN_FILE);
    }
  } catch (err) {
    process.stderr.write(`consul-standin: ${(err as Error).message}\n`);
    process.exitCode = err instanceof TokenFileError ? 78 : 2;
    return;
  }
  options.managementToken ??= process.env.CONSUL_STANDIN_TOKEN || undefined;
  const fatal = (err: Error): never => {
    logLine({ level: 'fatal', msg: 'could not start', error: err.message });
    process.exit(1);
  };
  const acl = Boolean(options.managementToken);
  if (command === 'server') {
    const server = await startConsulServer({ ...(options as ConsulServerOptions), log: logLine }).catch(fatal);
    serve(server, { acl, role: 'server', datacenter: server.datacenter });
    return;
  }
  if (command === 'agent') {
    const agent: ConsulAgent = await startConsulAgent({ ...(options as ConsulAgentOptions), log: logLine }).catch(fatal);
    // leave_on_terminate and skip_leave_on_interrupt=false: Consul's clients leave on both signals.
    serve(agent, { acl, role: 'client', server: agent.serverUrl }, () => agent.leave());
    void agent.left.then(() => setTimeout(() => process.exit(0), 50));
    return;
  }
  const standin = await startConsulStandin({ ...options, log: logLine }).catch(fatal);
  serve(standin, { acl });
}
