// DOCKER_HOST -> dockerode connection options, as the docker CLI reads them: unix://path (or a bare path),
// tcp://host:port (TLS with DOCKER_TLS_VERIFY + DOCKER_CERT_PATH's ca.pem, cert.pem, key.pem), ssh://user@host:port.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { CodedError } from '../errors';
import { ERR_DOCKER_HOST } from '../error-codes';

export type DockerConnection =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; protocol: 'http' | 'https'; host: string; port: number; ca?: Buffer; cert?: Buffer; key?: Buffer }
  | { kind: 'ssh'; host: string; port: number; username?: string };

export interface DockerHostOptions {
  /** Where DOCKER_TLS_VERIFY / DOCKER_CERT_PATH are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Name of the setting in errors (default "DOCKER_HOST"; e.g. "services[0].scale.dockerHost"). */
  field?: string;
  /** Sockets tried in order when no host is set; the first that exists wins, else the last (default /var/run/docker.sock). */
  defaultSockets?: readonly string[];
  /** Reads a certificate file (tests). */
  readFile?: (path: string) => Buffer;
  exists?: (path: string) => boolean;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

function hostError(field: string, value: string, why: string): CodedError {
  return new CodedError(ERR_DOCKER_HOST, `${field}: ${why} (got "${value}")`, { field, value });
}

/** DOCKER_TLS_VERIFY as registrator read it: set and not "0" (the docker CLI: any non-empty value) turns TLS on. */
function tlsVerifyOn(env: NodeJS.ProcessEnv): boolean {
  const v = env.DOCKER_TLS_VERIFY;
  return v !== undefined && v !== '' && v !== '0';
}

function readCerts(env: NodeJS.ProcessEnv, options: DockerHostOptions): { ca: Buffer; cert: Buffer; key: Buffer } | undefined {
  const dir = env.DOCKER_CERT_PATH;
  if (!dir) return undefined;
  const read = options.readFile ?? ((p: string) => readFileSync(p));
  const load = (file: string): Buffer => {
    const path = join(dir, file);
    try {
      return read(path);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CodedError(ERR_DOCKER_HOST, `DOCKER_CERT_PATH: cannot read ${file} in "${dir}": ${why}`, { field: 'DOCKER_CERT_PATH', value: dir, file });
    }
  };
  return { ca: load('ca.pem'), cert: load('cert.pem'), key: load('key.pem') };
}

function port(field: string, value: string, text: string, fallback: number): number {
  if (text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw hostError(field, value, `port "${text}" is not 1..65535`);
  return n;
}

/** `[user@]host[:port][/path]` -> its parts; IPv6 hosts in brackets. */
function authority(field: string, value: string, rest: string): { username?: string; host: string; portText: string } {
  const end = rest.search(/[/?#]/);
  const auth = end === -1 ? rest : rest.slice(0, end);
  const at = auth.lastIndexOf('@');
  let username: string | undefined;
  try {
    username = at === -1 ? undefined : decodeURIComponent(auth.slice(0, at));
  } catch {
    throw hostError(field, value, 'the user name is not valid percent-encoding');
  }
  const hostPort = at === -1 ? auth : auth.slice(at + 1);
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::(\d*))?$/.exec(hostPort);
  if (!match) throw hostError(field, value, 'not a valid host[:port]');
  const host = match[1].replace(/^\[|\]$/g, '');
  if (host === '') throw hostError(field, value, 'no host');
  return { username: username || undefined, host, portText: match[2] ?? '' };
}

/** Parses one DOCKER_HOST value; undefined or '' means the local socket. */
export function parseDockerHost(value: string | undefined, options: DockerHostOptions = {}): DockerConnection {
  const field = options.field ?? 'DOCKER_HOST';
  const env = options.env ?? process.env;
  const text = value?.trim() ?? '';
  if (text === '') {
    const candidates = options.defaultSockets?.length ? options.defaultSockets : [DEFAULT_DOCKER_SOCKET];
    const exists = options.exists ?? existsSync;
    return { kind: 'unix', socketPath: candidates.find((p) => exists(p)) ?? candidates[candidates.length - 1] };
  }
  if (text.startsWith('/')) return { kind: 'unix', socketPath: text };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme) throw hostError(field, text, 'expected unix:///path, tcp://host:port or ssh://[user@]host[:port]');
  if (scheme === 'unix') {
    const socketPath = text.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw hostError(field, text, 'a unix socket needs an absolute path (unix:///var/run/docker.sock)');
    return { kind: 'unix', socketPath };
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https' && scheme !== 'ssh') {
    throw hostError(field, text, `unsupported scheme "${scheme}" (unix, tcp or ssh)`);
  }
  const { username, host, portText } = authority(field, text, text.slice(scheme.length + 3));
  if (scheme === 'ssh') {
    const conn: DockerConnection = { kind: 'ssh', host, port: port(field, text, portText, 22) };
    if (username) conn.username = username;
    return conn;
  }
  const tls = tlsVerifyOn(env) || scheme === 'https';
  const conn: DockerConnection = { kind: 'tcp', protocol: tls ? 'https' : 'http', host, port: port(field, text, portText, tls ? 2376 : 2375) };
  if (tls) {
    const certs = readCerts(env, options);
    if (certs) Object.assign(conn, certs);
  }
  return conn;
}

/** DOCKER_HOST (and its TLS variables) from an environment. */
export function dockerConnectionFromEnv(env: NodeJS.ProcessEnv = process.env, options: Omit<DockerHostOptions, 'env'> = {}): DockerConnection {
  return parseDockerHost(env.DOCKER_HOST, { ...options, env });
}

/** The dockerode constructor options for a connection. */
export function dockerodeOptions(conn: DockerConnection, extra: { version?: string; timeout?: number } = {}): Docker.DockerOptions {
  const options: Docker.DockerOptions = { ...extra };
  if (conn.kind === 'unix') return { ...options, socketPath: conn.socketPath };
  if (conn.kind === 'ssh') return { ...options, protocol: 'ssh', host: conn.host, port: conn.port, ...(conn.username ? { username: conn.username } : {}) };
  return { ...options, protocol: conn.protocol, host: conn.host, port: conn.port, ...(conn.ca ? { ca: conn.ca, cert: conn.cert, key: conn.key } : {}) };
}

/** A human-readable form of the connection for logs (no key material). */
export function describeDockerConnection(conn: DockerConnection): string {
  if (conn.kind === 'unix') return `unix://${conn.socketPath}`;
  if (conn.kind === 'ssh') return `ssh://${conn.username ? `${conn.username}@` : ''}${conn.host}:${conn.port}`;
  return `${conn.protocol === 'https' ? 'tcp+tls' : 'tcp'}://${conn.host}:${conn.port}`;
}
