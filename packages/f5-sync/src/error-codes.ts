// Every error code f5-sync raises or branches on, with what it means: callers branch on `err.code`, never on text.
// test/error-codes.test.ts greps src/ and fails when a code is used there without an entry here, or listed here and
// neither used in src/ nor raised for f5-sync by core (RAISED_BY_CORE, checked against core's CORE_ERROR_CODES).

export const ERROR_CODES = {
  ERR_CONFIG: 'config file, environment or flag invalid (names the field and value); the daemon exits 78',
  ERR_CONSUL_PAYLOAD: "a /v1/health/service answer is not the shape Consul documents (core's strict parser names the field and value); the pool is held",
  ERR_DECLARATION: 'a pool declaration in Consul (tag or meta f5-pool / f5-virtual) is malformed, contested or shadowed by the config file; the last good declaration stays',
  ERR_CONSUL_UNAVAILABLE: 'a Consul query failed (refused, timed out, an error answer); the pools of that service are held, consul_sidecars_consul_reachable 0 after two in a row',
  ERR_CONSUL_TIMEOUT: 'Consul did not answer for every service before the first pass; pools without an answer are held',
  ERR_MEMBER_NAME: 'a pool member name is neither "<address>:<port>" nor "<ipv6>.<port>"',
  ERR_STALE_LIVE_STATE: 'the pool changed on the target while a plan was applied (409 on create, 404 on change); re-read and planned again',
  ERR_ICONTROL_AUTH: 'BIG-IP refused the credentials (401; a token is renewed by one re-login first)',
  ERR_ICONTROL_BUSY: 'BIG-IP answered 503 or "Configuration Utility restarting"; retried with jittered backoff',
  ERR_ICONTROL_CONFLICT: 'BIG-IP answered 409: the object already exists',
  ERR_ICONTROL_NOT_FOUND: 'BIG-IP answered 404: the pool or member does not exist (success for a DELETE)',
  ERR_ICONTROL_PAYLOAD: 'a BIG-IP answer is not the shape iControl REST documents (names the field and value)',
  ERR_ICONTROL_REJECTED: 'BIG-IP refused the request (400 or another 4xx); its message carries the mcpd code',
  ERR_ICONTROL_SERVER: 'BIG-IP answered a 5xx other than 503; retried with jittered backoff',
  ERR_ICONTROL_TLS: "the BIG-IP's certificate did not verify against bigip.caFile; never retried",
  ERR_ICONTROL_TRANSACTION: 'a transaction ended FAILED or did not complete within bigip.timeout; nothing in it was applied',
  ERR_ICONTROL_UNREACHABLE: 'no HTTP answer from the BIG-IP (refused, reset, timed out); retried with jittered backoff',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes core raises inside f5-sync's work: config validation, and its strict /v1/health/service parser. */
export const RAISED_BY_CORE: readonly ErrorCode[] = ['ERR_CONFIG', 'ERR_CONSUL_PAYLOAD'];
