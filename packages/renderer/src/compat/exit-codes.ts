// consul-template's exit codes (cli.go), which the renderer keeps in its consul-template mode.

/** consul-template's exit codes (cli.go); a supervised child's own exit code is passed through unchanged. */
export const EXIT_CODES = {
  ok: 0,
  /** generic error */
  error: 10,
  /** stopped by the kill signal (default SIGINT) */
  interrupt: 11,
  /** a flag could not be parsed (unknown flag, bad value) */
  parseFlags: 12,
  /** the runner failed: a template or command error with template_error_fatal, Consul unreachable after retries */
  runner: 13,
  /** a config file is missing or invalid */
  config: 14,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
