// `registrator [options] consul://host:port` (gliderlabs-compatible) and `registrator role promote|set ...`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { armCrashPoint, createLogger, describeFlags, errorMessage, installShutdown, parseFlags, type ConsulHttpClient, type FlagSpec } from '@consul-sidecars/core';
import { CRASH_POINT_NAMES } from './crash-points';
import { bindAssignment, instanceOf, instancesOf, writeRoles } from './act/role-store';
import { consulClientFor, reconcileOnce, startRegistrator } from './daemon';
import { FLAGS, parseRegistratorArgs, parseRegistryUri, UsageError } from './options';
import { planPromotion } from './plan/promotion';
import { DEFAULT_ROLE_PREFIX } from './role-keys';

export function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function usage(): string {
  return [
    'Usage of registrator:',
    '  registrator [options] <registry URI>        registry URI: consul://host:port or consul-tls://host:port',
    '  registrator role [options] promote <service id> [registry URI]',
    '  registrator role [options] set <service id> <role> [registry URI]',
    '',
    describeFlags(FLAGS),
  ].join('\n');
}

const ROLE_FLAGS: Record<string, FlagSpec> = {
  'role-prefix': { type: 'string', description: `Consul KV prefix of runtime roles (default ${DEFAULT_ROLE_PREFIX})` },
  service: { type: 'string', description: 'Service name (skips looking it up from the service ID)' },
  'dry-run': { type: 'boolean', description: 'Print the assignments, write nothing' },
};

function roleUsage(): string {
  return ['Usage: registrator role [options] promote <service id> [registry URI]', '       registrator role [options] set <service id> <role> [registry URI]', '', describeFlags(ROLE_FLAGS)].join('\n');
}

function exitWith(code: number): void {
  process.exitCode = code;
  // Flush stdio before exiting; exit explicitly so open handles (sockets) cannot keep a CLI command alive.
  setImmediate(() => process.exit(code));
}

/** `role promote|set`: writes role assignments in one Consul transaction; exit 0, 1 on failure, 2 on usage. */
export async function roleCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, ROLE_FLAGS);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${roleUsage()}\n`);
    return 2;
  }
  const words = [...parsed.positionals];
  const uri = words.length > 0 && /^[a-z0-9+-]+:\/\//i.test(words[words.length - 1]) ? words.pop() : undefined;
  const [verb, serviceId, role] = words;
  const arity = verb === 'promote' ? 2 : verb === 'set' ? 3 : -1;
  if (arity === -1 || words.length !== arity) {
    process.stderr.write(`${roleUsage()}\n`);
    return 2;
  }
  let consul: ConsulHttpClient;
  try {
    consul = consulClientFor(uri ? parseRegistryUri(uri) : undefined, env);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    return 2;
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
    return 0;
  } catch (err) {
    process.stderr.write(`registrator role ${verb}: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    consul.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && /^--?version$/.test(argv[0])) {
    process.stdout.write(`${version()}\n`);
    return;
  }
  if (argv[0] === 'role') {
    exitWith(await roleCommand(argv.slice(1)));
    return;
  }
  if (argv.some((a) => /^--?(h|help)$/.test(a))) {
    process.stderr.write(`${usage()}\n`);
    exitWith(0);
    return;
  }
  let config;
  try {
    config = parseRegistratorArgs(argv);
    const crashAt = armCrashPoint(process.env, CRASH_POINT_NAMES);
    if (crashAt) process.stderr.write(`${JSON.stringify({ level: 40, msg: 'crash point armed', crashPoint: crashAt.name, nth: crashAt.nth })}\n`);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n${err instanceof UsageError ? usage() : ''}\n`);
    exitWith(2);
    return;
  }
  const logger = createLogger({ name: 'registrator', level: config.logLevel });
  if (config.once) {
    try {
      const result = await reconcileOnce(config, { logger });
      logger.info({ actions: result.actions.length, failed: result.failed, dryRun: config.dryRun }, 'reconciled once');
      exitWith(result.failed > 0 ? 1 : 0);
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'reconcile failed');
      exitWith(1);
    }
    return;
  }
  let running: Awaited<ReturnType<typeof startRegistrator>> | undefined;
  const shutdown = installShutdown({
    logger,
    timeoutMs: 5000,
    onShutdown: async () => {
      await running?.stop();
    },
  });
  try {
    running = await startRegistrator(config, { logger });
  } catch (err) {
    logger.error({ err: errorMessage(err) }, 'registrator could not start');
    shutdown.dispose();
    exitWith(1);
  }
}
