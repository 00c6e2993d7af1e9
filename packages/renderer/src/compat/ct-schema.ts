// The keys of a consul-template config file the renderer reads, their types, and the ones it knows but refuses.

export type ValueKind =
  | 'string'
  | 'bool'
  | 'int'
  | 'fraction'
  | 'duration'
  | 'signal'
  | 'perms'
  | 'command'
  | 'strings'
  | 'object';

export interface BlockSpec {
  /** Field name -> kind, nested block, or `wait` (a "min:max" string or a { min, max } block). */
  fields: Record<string, ValueKind | BlockSpec | 'wait'>;
  /** A repeated block (`template`): every occurrence is kept, in order. Others keep the last, as consul-template's flattenKeys. */
  repeated?: boolean;
  /** A string in place of the block is read as this field (`consul = "host:port"`, deprecated in consul-template). */
  stringAs?: string;
}

const waitBlock: BlockSpec = { fields: { min: 'duration', max: 'duration' } };

const envBlock: BlockSpec = {
  fields: { pristine: 'bool', custom: 'strings', allowlist: 'strings', denylist: 'strings', whitelist: 'strings', blacklist: 'strings' },
};

export const execBlock: BlockSpec = {
  fields: {
    command: 'command',
    enabled: 'bool',
    env: envBlock,
    kill_signal: 'signal',
    kill_timeout: 'duration',
    reload_signal: 'signal',
    splay: 'duration',
    timeout: 'duration',
  },
};

/** Renderer-only keys of a template block (what consul-template lacks: validate before swap, guards, batches). */
const rendererTemplateFields: BlockSpec['fields'] = {
  validate_command: 'command',
  batch_group: 'string',
  guard: { fields: { min_instances: 'int', max_drop_fraction: 'fraction', drop_hold: 'duration', reject_empty_upstreams: 'bool' } },
  vars: 'object',
  upstream_push: { fields: { url: 'string', interval: 'duration', timeout: 'duration', check_lua: 'bool', nginx: 'string', lua_modules: 'strings' } },
  engine: 'string',
};

export const templateBlock: BlockSpec = {
  repeated: true,
  fields: {
    source: 'string',
    destination: 'string',
    contents: 'string',
    command: 'command',
    command_timeout: 'duration',
    exec: { fields: { command: 'command', timeout: 'duration' } },
    perms: 'perms',
    backup: 'bool',
    wait: 'wait',
    left_delimiter: 'string',
    right_delimiter: 'string',
    error_on_missing_key: 'bool',
    error_fatal: 'bool',
    create_dest_dirs: 'bool',
    function_denylist: 'strings',
    function_blacklist: 'strings',
    ...rendererTemplateFields,
  },
};

export const configBlock: BlockSpec = {
  fields: {
    consul: {
      stringAs: 'address',
      fields: {
        address: 'string',
        token: 'string',
        token_file: 'string',
        ssl: { fields: { enabled: 'bool', verify: 'bool', ca_cert: 'string', cert: 'string', key: 'string', server_name: 'string' } },
        retry: { fields: { enabled: 'bool', attempts: 'int', backoff: 'duration', max_backoff: 'duration' } },
      },
    },
    template: templateBlock,
    wait: 'wait',
    max_stale: 'duration',
    block_query_wait: 'duration',
    kill_signal: 'signal',
    reload_signal: 'signal',
    pid_file: 'string',
    log_level: 'string',
    template_error_fatal: 'bool',
    // Config.Once has no mapstructure tag: mapstructure matches the field name, so `once = true` works in a file.
    once: 'bool',
    exec: execBlock,
    // renderer-only
    once_timeout: 'duration',
    ops: { fields: { host: 'string', port: 'int', enabled: 'bool' } },
  },
};

export const WAIT_BLOCK = waitBlock;

/**
 * Keys consul-template has that the renderer does not act on, unless their value is empty or off (`sandbox_path = ""`,
 * `err_on_failed_lookup = false`, an empty block), which is accepted: that is what not acting on them means. Refused with a reason rather than ignored: ignoring
 * `user`/`group` would leave a file with the wrong owner, ignoring `vault` a template without its secrets.
 */
export const UNSUPPORTED_KEYS: Record<string, string> = {
  vault: 'Vault is not supported by the renderer',
  nomad: 'Nomad is not supported by the renderer',
  deduplicate: 'de-duplication mode is not supported',
  syslog: 'the renderer logs JSON lines to stderr (pino); ship them with your log collector',
  log_file: 'the renderer logs JSON lines to stderr (pino); ship them with your log collector',
  default_delimiters: 'set left_delimiter/right_delimiter per template',
  err_on_failed_lookup: 'not supported',
  'consul.auth': 'HTTP basic auth to Consul is not supported',
  'consul.namespace': 'Consul Enterprise namespaces are not supported',
  'consul.transport': 'transport tuning is not supported',
  'consul.ssl.ca_path': 'use ca_cert (one PEM file)',
  'consul.ssl.ca_cert_bytes': 'use ca_cert (one PEM file)',
  'template.user': 'file ownership is not supported: the file keeps its owner (run the renderer as that user)',
  'template.group': 'file ownership is not supported (the renderer\'s batch is called batch_group)',
  'template.uid': 'file ownership is not supported',
  'template.gid': 'file ownership is not supported',
  'template.sandbox_path': 'not supported',
  'template.source_dir': 'not supported',
};
