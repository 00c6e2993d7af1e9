// PUT to a Consul stand-in's HTTP API (catalog registrations, KV writes) for tests (not a test file).

/** PUTs `body` (a string as is, else JSON) to `baseUrl + path`; a non-2xx answer throws with Consul's text. */
export async function standinPut(baseUrl: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${baseUrl}${path}`, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
}
