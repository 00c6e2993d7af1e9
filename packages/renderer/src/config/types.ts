// The renderer's configuration as the rest of the package reads it: typed, validated, every default applied.

/** A command as an argument array (run directly) or a single string (run through `sh -c`). */
export type CommandSpec = string | string[];

export interface WaitConfig {
  minMs: number;
  maxMs: number;
}

export interface GuardConfig {
  /** Fewer service instances than this in one render -> hold the last good file. 0 turns it off. */
  minInstances: number;
  /** A drop of more than this fraction of the instances seen in the last good render is held... */
  maxDropFraction: number;
  /** ...until it has persisted this long (a real scale-down is accepted; a blip from a Consul election is not). */
  dropHoldMs: number;
  /** Hold a render that contains an nginx `upstream {}` block with no `server` (nginx refuses to load it). */
  rejectEmptyUpstreams: boolean;
}

export interface TemplateConfig {
  /** Path of the nunjucks template (absent when `contents` is given). */
  source?: string;
  /** Inline template text. */
  contents?: string;
  destination: string;
  /**
   * Run against the candidate before it goes live. With `{{candidate}}` in it, it runs against the candidate's
   * path while the live file is untouched; without, the candidate is swapped in for the command under the runner's
   * lock and swapped back out when it fails (see README, "Validation").
   */
  validateCommand?: CommandSpec;
  reloadCommand?: CommandSpec;
  commandTimeoutMs: number;
  /** File mode; default: keep the existing file's mode, else 0644. */
  perms?: number;
  /** Keep one `<destination>.bak` of the previous file. */
  backup: boolean;
  createDestDirs: boolean;
  /** Per-template quiescence; default: the global wait. */
  wait?: WaitConfig;
  /** Templates sharing a group are validated and reloaded together: one validation and one reload per batch. */
  group: string;
  guard: GuardConfig;
  /** Values the template reads as `vars.*` (listen port, domain prefix...). */
  vars: Record<string, unknown>;
  /** No-reload mode: where pushUpstream() members go (nginx's loopback admin location, lua/consul_sidecars). */
  upstreamPush?: UpstreamPushConfig;
  /** The template language: `go` (consul-template's text/template) or `nunjucks`. */
  engine: TemplateEngineName;
  /** Go templates only (consul-template's names): delimiters, and a missing map key failing the render. */
  leftDelimiter?: string;
  rightDelimiter?: string;
  errorOnMissingKey: boolean;
  functionDenylist: string[];
  /**
   * consul-template's error_fatal: a template that fails to execute with all its data there stops the runner (its
   * `fatal` event; the consul-template CLI exits 14). Default false: keep the last good file and report.
   */
  errorFatal: boolean;
}

export type TemplateEngineName = 'go' | 'nunjucks';

export interface UpstreamPushConfig {
  /** Base URL of the admin location, e.g. http://127.0.0.1:9480/consul-sidecars */
  url: string;
  /** How often nginx is checked for a restart (an empty shared dict) and failed pushes retried. */
  intervalMs: number;
  timeoutMs: number;
  /** Check the shipped Lua with nginx's LuaJIT before the first write (nginx -t does not run Lua). */
  checkLua: boolean;
  /** The nginx binary for that check (default `nginx`). */
  nginx: string;
  /** Dynamic modules the check loads; default Debian's ndk + lua modules when present. */
  luaModules?: string[];
}

export interface ConsulConfig {
  /** Agent address; default from CONSUL_HTTP_ADDR, else 127.0.0.1:8500. */
  address?: string;
  /** `wait=` of each blocking query, in seconds. */
  waitSeconds: number;
  /** Ceiling of the backoff between failed queries (Consul down): how soon changes flow again once it is back. */
  retryMaxMs: number;
  /** consul-template's max_stale: reads go ?stale, and again to the leader when X-Consul-LastContact is past it. 0: off. */
  maxStaleMs: number;
}

export interface OpsConfig {
  host: string;
  port: number;
  enabled: boolean;
}

export interface RendererConfig {
  consul: ConsulConfig;
  wait: WaitConfig;
  once: boolean;
  dryRun: boolean;
  /** In --once mode, give up (non-zero exit) when the dependencies have not all answered by then. */
  onceTimeoutMs: number;
  ops: OpsConfig;
  logLevel: string;
  templates: TemplateConfig[];
}
