// consul-template's exit codes (cli.go), which the renderer keeps in its consul-template mode.

/**
 * consul-template's exit codes; a supervised child's own exit code is passed through unchanged. cli.go declares them
 * as `ExitCodeOK int = 0` then `ExitCodeError = 10 + iota` in one const block: iota is 1 on that line, so the
 * codes start at 11 (its issue #782: stopped by SIGINT, "exits always with error code 12").
 */
export const EXIT_CODES = {
  ok: 0,
  /** generic error (ExitCodeError) */
  error: 11,
  /** stopped by the kill signal, default SIGINT (ExitCodeInterrupt) */
  interrupt: 12,
  /** a flag could not be parsed: unknown flag, bad value (ExitCodeParseFlagsError) */
  parseFlags: 13,
  /** the runner failed: a template error with template_error_fatal, a template that does not parse (ExitCodeRunnerError) */
  runner: 14,
  /** a config file is missing or invalid (ExitCodeConfigError) */
  config: 15,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
