// The error codes core's modules throw (as `err.code` on a CodedError), each with what it means. Callers branch on
// the code, never on a class or the message text; daemons add their own codes in their packages' catalogues.

export const ERR_CONFIG = 'ERR_CONFIG';
export const ERR_CONSUL_PAYLOAD = 'ERR_CONSUL_PAYLOAD';
export const ERR_CONSUL_HTTP = 'ERR_CONSUL_HTTP';
export const ERR_CONSUL_UNREACHABLE = 'ERR_CONSUL_UNREACHABLE';
export const ERR_CONSUL_TIMEOUT = 'ERR_CONSUL_TIMEOUT';
export const ERR_CONSUL_ABORTED = 'ERR_CONSUL_ABORTED';
export const ERR_DOCKER_HOST = 'ERR_DOCKER_HOST';
export const ERR_STOPPED = 'ERR_STOPPED';

export type CoreErrorCode =
  | typeof ERR_CONFIG
  | typeof ERR_CONSUL_PAYLOAD
  | typeof ERR_CONSUL_HTTP
  | typeof ERR_CONSUL_UNREACHABLE
  | typeof ERR_CONSUL_TIMEOUT
  | typeof ERR_CONSUL_ABORTED
  | typeof ERR_DOCKER_HOST
  | typeof ERR_STOPPED;

/** One line per code: what happened, and what the `details` name. */
export const CORE_ERROR_CODES: Readonly<Record<CoreErrorCode, string>> = {
  [ERR_CONFIG]: 'a config value, flag, file or environment variable failed validation (details: field, value)',
  [ERR_CONSUL_PAYLOAD]: 'a Consul answer does not have the shape its endpoint documents (details: path of the field, value)',
  [ERR_CONSUL_HTTP]: 'Consul answered with an HTTP status outside 2xx (details: status, method, path; message has Consul\'s text)',
  [ERR_CONSUL_UNREACHABLE]: 'no HTTP answer from Consul: refused, reset, DNS or TLS failure (details: method, path, cause)',
  [ERR_CONSUL_TIMEOUT]: 'a Consul request got no answer within its timeout (details: method, path, timeoutMs)',
  [ERR_CONSUL_ABORTED]: 'a Consul request was cancelled by its caller\'s AbortSignal (details: method, path)',
  [ERR_DOCKER_HOST]: 'DOCKER_HOST, DOCKER_CERT_PATH or DOCKER_TLS_VERIFY cannot be turned into a Docker connection (details: field, value)',
  [ERR_STOPPED]: 'a runner or queue was stopped before the requested work could start',
};
