// Errors that carry a stable machine-readable code, so callers branch on `code`, not on message text.

export class CodedError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodedError';
    this.code = code;
    this.details = details;
  }
}

/** A config, flag or file value that failed validation; `field` and `value` name what was wrong. */
export class ConfigError extends CodedError {
  constructor(message: string, details: { field?: string; value?: unknown; source?: string } = {}) {
    super('ERR_CONFIG', message, details);
    this.name = 'ConfigError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
