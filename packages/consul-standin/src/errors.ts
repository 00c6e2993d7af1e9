// HTTP errors answered as Consul answers them: a status and a plain-text body.

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, body: string, headers: Record<string, string> = {}) {
    super(body);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

export const badRequest = (text: string): HttpError => new HttpError(400, text);
export const forbidden = (text: string): HttpError => new HttpError(403, text);
export const notFound = (text: string): HttpError => new HttpError(404, text);
export const tooLarge = (text: string): HttpError => new HttpError(413, text);
/** Consul answers server-side (RPC) faults, including many validation failures, with 500. */
export const internal = (text: string): HttpError => new HttpError(500, text);

export function methodNotAllowed(method: string, allowed: readonly string[]): HttpError {
  return new HttpError(405, `method ${method} not allowed`, { Allow: ['OPTIONS', ...allowed].join(',') });
}

/** The text Consul prints for an unknown /v1 path (agent/http.go Index handler). */
export function unknownPath(path: string): HttpError {
  if (path.includes('/v1/')) return notFound('Invalid URL path: not a recognized HTTP API endpoint\n');
  return notFound("Invalid URL path: if attempting to use the HTTP API, ensure the path starts with '/v1/'\n");
}
