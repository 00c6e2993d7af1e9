// Reads the SERVICE_* keys of a container's env and labels for one exposed port, as gliderlabs' serviceMetaData does.

/** Keys registrator itself interprets; everything else becomes Consul Meta. */
export const KNOWN_KEYS = new Set([
  'name', 'id', 'tags', 'ignore', 'role', 'network',
  'check_http', 'check_http_method', 'check_https', 'check_https_method', 'check_tcp', 'check_grpc',
  'check_grpc_use_tls', 'check_tls_skip_verify', 'check_script', 'check_cmd', 'check_ttl', 'check_interval',
  'check_timeout', 'check_initial_status', 'check_deregister_after',
]);

/** Where a value came from, so a warning can name the exact env variable or label. */
export interface MetadataSource {
  kind: 'env' | 'label';
  /** The key as written on the container, e.g. SERVICE_80_CHECK_INTERVAL. */
  key: string;
}

export interface ServiceMetadata {
  /** Lower-cased key without SERVICE_ and without the port prefix -> value. */
  values: Map<string, string>;
  /** Keys whose value came from a SERVICE_<port>_ key (a port-specific NAME suppresses the -<port> suffix). */
  fromPort: Set<string>;
  sources: Map<string, MetadataSource>;
}

export interface MetadataWarning {
  source: MetadataSource;
  message: string;
}

interface Entry {
  source: MetadataSource;
  value: string;
}

/** Env first, then labels, so a label beats an env variable with the same key (Go appends labels after env). */
function serviceEntries(env: readonly string[], labels: Readonly<Record<string, string>>): Entry[] {
  const entries: Entry[] = [];
  for (const item of env) {
    const eq = item.indexOf('=');
    if (eq === -1) continue; // gliderlabs: a key without a value does not count
    const key = item.slice(0, eq);
    if (key.startsWith('SERVICE_')) entries.push({ source: { kind: 'env', key }, value: item.slice(eq + 1) });
  }
  for (const key of Object.keys(labels).sort()) {
    if (key.startsWith('SERVICE_')) entries.push({ source: { kind: 'label', key }, value: labels[key] });
  }
  return entries;
}

function splitPortKey(rest: string): { port?: string; key: string } {
  const underscore = rest.indexOf('_');
  if (underscore > 0 && /^\d+$/.test(rest.slice(0, underscore))) return { port: rest.slice(0, underscore), key: rest.slice(underscore + 1) };
  return { key: rest };
}

/** The metadata that applies to `exposedPort` ("80"): a port-specific key beats the generic one, a label beats env. */
export function serviceMetadata(env: readonly string[], labels: Readonly<Record<string, string>>, exposedPort: string): ServiceMetadata {
  const values = new Map<string, string>();
  const fromPort = new Set<string>();
  const sources = new Map<string, MetadataSource>();
  for (const { source, value } of serviceEntries(env, labels)) {
    const rest = source.key.slice('SERVICE_'.length).toLowerCase();
    const { port, key } = splitPortKey(rest);
    if (port !== undefined) {
      if (String(Number(port)) !== exposedPort) continue;
      values.set(key, value);
      fromPort.add(key);
      sources.set(key, source);
    } else {
      if (fromPort.has(rest)) continue;
      values.set(rest, value);
      sources.set(rest, source);
    }
  }
  return { values, fromPort, sources };
}

/**
 * Container-wide problems with SERVICE_* keys, independent of any one port: a key that looks port-specific
 * but whose prefix is not a port (SERVICE_abc_NAME), or one for a port the container does not expose.
 */
export function metadataWarnings(env: readonly string[], labels: Readonly<Record<string, string>>, servicePorts: readonly string[]): MetadataWarning[] {
  const warnings: MetadataWarning[] = [];
  const ports = new Set(servicePorts);
  for (const { source } of serviceEntries(env, labels)) {
    const rest = source.key.slice('SERVICE_'.length).toLowerCase();
    const { port, key } = splitPortKey(rest);
    if (port !== undefined) {
      const n = Number(port);
      if (n < 1 || n > 65535) {
        warnings.push({ source, message: `port ${port} is not a valid port number; key ignored` });
      } else if (!ports.has(String(n))) {
        warnings.push({ source, message: `port ${n} is not a service port of this container; key has no effect` });
      }
      if (!KNOWN_KEYS.has(key) && key.startsWith('check_')) warnings.push({ source, message: `unknown check key "${key}"; ignored` });
      continue;
    }
    const underscore = rest.indexOf('_');
    if (underscore > 0 && !KNOWN_KEYS.has(rest) && KNOWN_KEYS.has(rest.slice(underscore + 1)) && !rest.startsWith('check_')) {
      warnings.push({ source, message: `"${rest.slice(0, underscore)}" is not a port number, so this is not SERVICE_<port>_${rest.slice(underscore + 1).toUpperCase()}; kept as the Meta key "${rest}"` });
    } else if (rest.startsWith('check_') && !KNOWN_KEYS.has(rest)) {
      warnings.push({ source, message: `unknown check key "${rest}"; ignored` });
    }
  }
  return warnings;
}

/** Names the source for log lines: `label SERVICE_CHECK_INTERVAL`. */
export function describeSource(source: MetadataSource | undefined, fallbackKey: string): string {
  return source ? `${source.kind} ${source.key}` : `SERVICE_${fallbackKey.toUpperCase()}`;
}

const IGNORE_FALSE = /^\s*(|false|0|no|off|n|f)\s*$/i;
const IGNORE_TRUE = /^\s*(true|1|yes|on|y|t)\s*$/i;

/** SERVICE_IGNORE: gliderlabs ignores on any non-empty value, even "false"; we read false/0/no/off/n/f as "do not ignore". */
export function isIgnored(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !IGNORE_FALSE.test(value);
}

/**
 * A SERVICE_IGNORE value that is neither a false nor a true word ("flase", "ignore"): it still ignores, as gliderlabs
 * reads any non-empty value (so its deployments keep their meaning, and a typo never puts a container into routing
 * it was meant to stay out of), but it is worth a warning naming the value.
 */
export function isUnclearIgnore(value: string | undefined): boolean {
  return value !== undefined && !IGNORE_FALSE.test(value) && !IGNORE_TRUE.test(value);
}

/** SERVICE_TAGS: comma list, `\,` escapes a comma, empty items dropped, order kept (gliderlabs reverses it). */
export function parseTags(value: string | undefined): string[] {
  if (!value) return [];
  const tags: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && value[i + 1] === ',') {
      current += ',';
      i++;
    } else if (ch === ',') {
      tags.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  tags.push(current);
  return tags.map((t) => t.trim()).filter((t) => t.length > 0);
}
