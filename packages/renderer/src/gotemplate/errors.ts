// Execution errors worded as Go's text/template words them:
// `template: NAME:LINE:COL: executing "TNAME" at <CONTEXT>: MSG`.

export class TemplateExecError extends Error {
  constructor(
    readonly templateName: string,
    readonly line: number,
    readonly column: number,
    readonly context: string,
    readonly detail: string,
    executing: string,
  ) {
    super(`template: ${templateName}:${line}:${column}: executing ${JSON.stringify(executing)} at <${context}>: ${detail}`);
  }
}

/** A function argument of the wrong Go type; the executor reports it at the argument's node. */
export class ArgTypeError extends Error {
  constructor(readonly index: number, readonly expected: string, readonly got: string) {
    super(`wrong type for value; expected ${expected}; got ${got}`);
  }
}

/** Line (1-based) and Go's column (a byte offset from the line start, 0-based) of `pos` in `source`. */
export function position(source: string, pos: number): { line: number; column: number } {
  const before = source.slice(0, pos);
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  return { line, column: Buffer.byteLength(before.slice(lineStart), 'utf8') };
}

/** Go shortens the node text in an error context to 20 bytes. */
export function errorContext(text: string): string {
  return text.length > 20 ? `${text.slice(0, 20)}...` : text;
}
