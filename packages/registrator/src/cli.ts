// `registrator [options] consul://host:port` (gliderlabs-compatible) and `registrator role promote|set ...`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { armCrashPoint, CodedError, ConfigError, createLogger, errorMessage, EXIT, helpText, installShutdown, runCommandLine, type CliIo, type CommandLineSpec, type ConsulHttpClient, type FlagSpec, type ParsedFlags } from '@consul-sidecars/core';
import { CRASH_POINT_NAMES } from './crash-points';
import { bindAssignment, instanceOf, instancesOf, writeRoles } from './act/role-store';
import { consulClientFor, reconcileOnce, startRegistrator, type RunningRegistrator } from './daemon';
import { FLAGS, PARSE_OPTIONS, parseRegistryUri, registratorConfig, UsageError, type RegistratorConfig } from './options';
import { planPromotion } from './plan/promotion';
import { DEFAULT_ROLE_PREFIX } from './role-keys';

export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The usage lines above the flag list (core's helpText adds the flags, -version and -help). */
const USAGE = [
  'Usage of registrator:',
  '  registrator [options] <registry URI>        registry URI: consul://host:port or consul-tls://host:port',
  '  registrator role [options] promote <service id> [registry URI]',
  '  registrator role [options] set <service id> <role> [registry URI]',
].join('\n');

const ROLE_USAGE = ['Usage: registrator role [options] promote <service id> [registry URI]', '       registrator role [options] set <service id> <role> [registry URI]'].join('\n');

const ROLE_FLAGS: Record<string, FlagSpec> = {
  'role-prefix': { type: 'string', description: `Consul KV prefix of runtime roles (default ${DEFAULT_ROLE_PREFIX})` },
  service: { type: 'string', description: 'Service name (skips looking it up from the service ID)' },
  'dry-run': { type: 'boolean', description: 'Print the assignments, write nothing' },
};

function daemonSpec(): CommandLineSpec {
  return { name: 'registrator', version: version(), usage: USAGE, flags: FLAGS, ...PARSE_OPTIONS };
}

function roleSpec(): CommandLineSpec {
  return { name: 'registrator role', version: version(), usage: ROLE_USAGE, flags: ROLE_FLAGS };
}

/** The help text (stdout, exit 0): usage, every flag, -version, -help. */
export function usage(): string {
  return helpText(daemonSpec());
}

/** A usage error: the reason and where the flags are, on stderr; exit 2 as Go's flag package does. */
function usageError(io: CliIo, name: string, message: string): number {
  io.stderr(`${name}: ${message}\nrun \`${name} -help\` for the flags\n`);
  return EXIT.usage;
}

function exitWith(code: number): void {
  process.exitCode = code;
  // Flush stdio before exiting; exit explicitly so open handles (sockets) cannot keep a CLI command alive.
  setImmediate(() => process.exit(code));
}

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** `role promote|set`: writes role assignments in one Consul transaction; exit 0, 1 on failure, 2 on usage. */
export async function roleCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout, io: CliIo = processIo): Promise<number> {
  return runCommandLine(argv, roleSpec(), (parsed) => runRoleCommand(parsed, env, out, io), io);
}

async function runRoleCommand(parsed: ParsedFlags, env: NodeJS.ProcessEnv, out: NodeJS.WritableStream, io: CliIo): Promise<number> {
  const words = [...parsed.positionals];
  const uri = words.length > 0 && /^[a-z0-9+-]+:\/\//i.test(words[words.length - 1]) ? words.pop() : undefined;
  const [verb, serviceId, role] = words;
  const arity = verb === 'promote' ? 2 : verb === 'set' ? 3 : -1;
  if (arity === -1) return usageError(io, 'registrator role', verb === undefined ? 'missing the verb (promote or set)' : `unknown verb "${verb}" (promote or set)`);
  if (words.length !== arity) return usageError(io, 'registrator role', `${verb} takes ${arity - 1} argument${arity === 2 ? '' : 's'}, got ${words.length - 1}`);
  let consul: ConsulHttpClient;
  try {
    consul = consulClientFor(uri ? parseRegistryUri(uri) : undefined, env);
  } catch (err) {
    if (err instanceof UsageError) return usageError(io, 'registrator role', errorMessage(err));
    throw err;
  }
  const prefix = (parsed.values['role-prefix'] as string | undefined) ?? DEFAULT_ROLE_PREFIX;
  try {
    // Each role is bound to the container that owns the instance now: a recreated container never inherits it.
    let assignments: ReturnType<typeof bindAssignment>[];
    if (verb === 'promote') {
      const name = (parsed.values.service as string | undefined) ?? (await instanceOf(consul, serviceId)).name;
      const instances = await instancesOf(consul, name);
      const owners = new Map(instances.map((i) => [i.serviceId, i]));
      const ids = instances.map((i) => i.serviceId);
      assignments = planPromotion(serviceId, ids.includes(serviceId) ? ids : [serviceId, ...ids]).map((a) => bindAssignment(a, owners.get(a.serviceId)));
    } else {
      assignments = [bindAssignment({ serviceId, role }, await instanceOf(consul, serviceId))];
    }
    if (!parsed.values['dry-run']) await writeRoles(consul, prefix, assignments);
    out.write(`${JSON.stringify({ prefix, dryRun: Boolean(parsed.values['dry-run']), assignments })}\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr(`registrator role ${verb}: ${errorMessage(err)}\n`);
    return EXIT.failure;
  } finally {
    consul.close();
  }
}

/** The daemon (or --once): resolves with the exit code once it has stopped. */
async function runDaemon(flags: ParsedFlags, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let config: RegistratorConfig;
  try {
    config = registratorConfig(flags, env);
    const crashAt = armCrashPoint(env, CRASH_POINT_NAMES);
    if (crashAt) io.stderr(`${JSON.stringify({ level: 40, msg: 'crash point armed', crashPoint: crashAt.name, nth: crashAt.nth })}\n`);
  } catch (err) {
    // gliderlabs' flag mistakes are usage errors (2); a bad env value, a crash point naming no step included, is config (78).
    if (err instanceof UsageError) return usageError(io, 'registrator', errorMessage(err));
    throw err;
  }
  const logger = createLogger({ name: 'registrator', level: config.logLevel });
  if (config.once) {
    try {
      const result = await reconcileOnce(config, { logger, env });
      logger.info({ actions: result.actions.length, failed: result.failed, uninspected: result.uninspected ?? 0, dryRun: config.dryRun }, 'reconciled once');
      return result.failed > 0 || (result.uninspected ?? 0) > 0 ? EXIT.failure : EXIT.ok;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      logger.error({ err: errorMessage(err) }, 'reconcile failed');
      return EXIT.failure;
    }
  }
  return new Promise<number>((resolve) => {
    let running: RunningRegistrator | undefined;
    const shutdown = installShutdown({
      logger,
      timeoutMs: 5000,
      exit: resolve,
      onShutdown: async () => {
        await running?.stop();
      },
    });
    startRegistrator(config, { logger, env }).then(
      (started) => (running = started),
      (err: unknown) => {
        logger.error({ err: errorMessage(err), ...(err instanceof CodedError ? { code: err.code } : {}) }, 'registrator could not start');
        shutdown.dispose();
        resolve(err instanceof ConfigError ? EXIT.config : EXIT.failure);
      },
    );
  });
}

/** `registrator ...` by the one CLI convention (core/cli.ts); resolves with the exit code. */
export function runRegistratorCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = processIo): Promise<number> {
  if (argv[0] === 'role') return roleCommand(argv.slice(1), env, process.stdout, io);
  return runCommandLine(argv, daemonSpec(), (flags) => runDaemon(flags, env, io), io);
}

export async function main(argv: string[]): Promise<void> {
  exitWith(await runRegistratorCli(argv));
}
