// Authentication as restjavad does it: token login, X-F5-Auth-Token, token extend/revoke, Basic auth; and where the
// one account's password comes from (a file or the environment; the command line still works, with a warning).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { framework, IcrError, rest } from './errors';
import { requireObjectBody } from './payload-validation';

export interface Credentials {
  user: string;
  password: string;
}

/** Environment variables the password is read from, in this order (BIGIP_PASSWORD: the stack's one secrets file). */
export const PASSWORD_ENV = ['BIGIP_STANDIN_PASSWORD_FILE', 'BIGIP_STANDIN_PASSWORD', 'BIGIP_PASSWORD'] as const;

/** A password setting that cannot be used; `usage` when the command line itself is wrong (exit 2), else config (78). */
export class PasswordSourceError extends Error {
  constructor(message: string, readonly usage: boolean) {
    super(message);
    this.name = 'PasswordSourceError';
  }
}

export interface PasswordSetting {
  /** Undefined: none given, the default account applies. */
  password?: string;
  /** Where it came from: `--password-file`, `--password`, an env variable's name, or `default`. */
  source: string;
  /** What the operator should hear (a password on the command line is visible to every local user in `ps`). */
  warnings: string[];
}

/** A secrets file as Docker and Kubernetes mount them: the whole content, without one trailing newline. */
function readPasswordFile(path: string, field: string, readFile: (path: string) => string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new PasswordSourceError(`${field}: cannot read "${path}": ${error instanceof Error ? error.message : String(error)}`, false);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new PasswordSourceError(`${field}: "${path}" is empty`, false);
  return password;
}

/**
 * The account's password, most explicit first: `--password-file`, `--password` (warned: visible in `ps`),
 * BIGIP_STANDIN_PASSWORD_FILE, BIGIP_STANDIN_PASSWORD, BIGIP_PASSWORD; none of them: the default account.
 */
export function resolvePassword(
  flags: { password?: string; passwordFile?: string },
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): PasswordSetting {
  if (flags.password !== undefined && flags.passwordFile !== undefined) throw new PasswordSourceError('give --password or --password-file, not both', true);
  if (flags.passwordFile !== undefined) return { password: readPasswordFile(flags.passwordFile, '--password-file', readFile), source: '--password-file', warnings: [] };
  if (flags.password !== undefined) {
    if (flags.password === '') throw new PasswordSourceError('--password must not be empty', true);
    return {
      password: flags.password,
      source: '--password',
      warnings: ['--password puts the password where every local user sees it (ps, /proc/<pid>/cmdline): use --password-file or BIGIP_STANDIN_PASSWORD'],
    };
  }
  const [fileVar, passwordVar, sharedVar] = PASSWORD_ENV;
  if (env[fileVar] && env[passwordVar]) throw new PasswordSourceError(`set ${fileVar} or ${passwordVar}, not both`, false);
  if (env[fileVar]) return { password: readPasswordFile(env[fileVar] as string, fileVar, readFile), source: fileVar, warnings: [] };
  for (const name of [passwordVar, sharedVar]) if (env[name]) return { password: env[name], source: name, warnings: [] };
  return { source: 'default', warnings: [] };
}

export interface AuthToken {
  token: string;
  userName: string;
  address: string;
  timeoutSeconds: number;
  startMs: number;
  /** Expiry counts from the token's start, so a PATCH sets the whole lifetime, not "from now". */
  expiresAtMs: number;
  generation: number;
}

export interface Principal {
  userName: string;
  method: 'token' | 'basic';
}

/** BIG-IP refuses token lifetimes above 10 hours. */
export const MAX_TOKEN_TIMEOUT_SECONDS = 36000;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PROVIDER_ID = '1f44a60e-11a7-3c51-a49f-82983026b41b';

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function checkCredentials(credentials: Credentials, user: unknown, password: unknown): boolean {
  return typeof user === 'string' && typeof password === 'string' && sameSecret(user, credentials.user) && sameSecret(password, credentials.password);
}

export class TokenStore {
  private readonly tokens = new Map<string, AuthToken>();

  constructor(
    private readonly defaultTimeoutSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(userName: string, address: string): AuthToken {
    const bytes = randomBytes(26);
    const token = [...bytes].map((byte) => TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length]).join('');
    const startMs = this.now();
    const record: AuthToken = { token, userName, address, timeoutSeconds: this.defaultTimeoutSeconds, startMs, expiresAtMs: startMs + this.defaultTimeoutSeconds * 1000, generation: 1 };
    this.tokens.set(token, record);
    return record;
  }

  /** A live token, or undefined; expired tokens are forgotten, as BIG-IP deletes them. */
  lookup(token: string): AuthToken | undefined {
    const record = this.tokens.get(token);
    if (record && record.expiresAtMs <= this.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return record;
  }

  setTimeout(record: AuthToken, timeoutSeconds: number): AuthToken {
    record.timeoutSeconds = timeoutSeconds;
    record.expiresAtMs = record.startMs + timeoutSeconds * 1000;
    record.generation += 1;
    return record;
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  expireAll(): void {
    this.tokens.clear();
  }

  get liveCount(): number {
    return [...this.tokens.keys()].filter((token) => this.lookup(token)).length;
  }
}

export function renderToken(record: AuthToken): Record<string, unknown> {
  return {
    token: record.token,
    name: record.token,
    userName: record.userName,
    authProviderName: 'tmos',
    user: { link: `https://localhost/mgmt/cm/system/authn/providers/tmos/${PROVIDER_ID}/users/${randomUUID()}` },
    groupReferences: [],
    timeout: record.timeoutSeconds,
    startTime: new Date(record.startMs).toISOString(),
    address: record.address,
    partition: '[All]',
    generation: record.generation,
    lastUpdateMicros: record.startMs * 1000,
    expirationMicros: record.expiresAtMs * 1000,
    kind: 'shared:authz:tokens:authtokenitemstate',
    selfLink: `https://localhost/mgmt/shared/authz/tokens/${record.token}`,
  };
}

/** POST /mgmt/shared/authn/login. */
export function login(body: unknown, credentials: Credentials, tokens: TokenStore, address: string): Record<string, unknown> {
  const fields = requireObjectBody(body);
  const provider = fields.loginProviderName ?? 'tmos';
  if (provider !== 'tmos') throw rest.loginProviderInvalid();
  if (!checkCredentials(credentials, fields.username, fields.password)) throw rest.authenticationFailed();
  const record = tokens.issue(credentials.user, address);
  return {
    username: credentials.user,
    loginReference: { link: `https://localhost/mgmt/cm/system/authn/providers/tmos/${PROVIDER_ID}/login` },
    loginProviderName: 'tmos',
    token: renderToken(record),
    generation: 0,
    lastUpdateMicros: 0,
  };
}

/** Who is calling: a valid X-F5-Auth-Token wins, then Basic credentials; anything else is a 401. */
export function authenticate(headers: IncomingHttpHeaders, credentials: Credentials, tokens: TokenStore, uri: string, sender: string): Principal {
  const tokenHeader = headers['x-f5-auth-token'];
  if (typeof tokenHeader === 'string' && tokenHeader !== '') {
    const record = tokens.lookup(tokenHeader);
    if (!record) throw rest.tokenDoesNotExist();
    return { userName: record.userName, method: 'token' };
  }
  const authorization = headers.authorization;
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0 && checkCredentials(credentials, decoded.slice(0, colon), decoded.slice(colon + 1))) {
      return { userName: credentials.user, method: 'basic' };
    }
    throw rest.authenticationFailed();
  }
  throw rest.noAuthentication(uri, sender);
}

/** PATCH /mgmt/shared/authz/tokens/<token> {"timeout": n}. */
export function parseTokenTimeout(body: unknown): number {
  const fields = requireObjectBody(body);
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'timeout') throw framework.unexpectedProperty('/shared/authz/tokens', key, value);
  }
  const timeout = fields.timeout;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TOKEN_TIMEOUT_SECONDS) {
    // (inferred) restjavad's exact wording for an out-of-range timeout is not in our sources.
    throw new IcrError(400, `Invalid token timeout ${JSON.stringify(timeout)}: must be an integer from 1 to ${MAX_TOKEN_TIMEOUT_SECONDS} seconds.`, 0, true);
  }
  return timeout;
}
