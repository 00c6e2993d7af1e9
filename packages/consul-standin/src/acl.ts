// ACL enforcement with a single management token: the right token passes everything; no token is
// the anonymous token (Consul's "Permission denied ..." text); any other token is unknown ("ACL not found").

import { forbidden } from './errors';

export interface AclRule {
  resource: 'agent' | 'node' | 'service' | 'key' | 'session' | 'operator';
  level: 'read' | 'write';
  /** The resource name Consul names in its message, when there is one. */
  name?: string;
}

/** ?token=, X-Consul-Token, or Authorization: Bearer, in Consul's order of precedence. */
export function requestToken(headers: Record<string, string | string[] | undefined>, query: URLSearchParams): string {
  const fromQuery = query.get('token');
  if (fromQuery) return fromQuery;
  const header = headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const parts = authorization.split(' ');
    if (parts.length > 1 && parts[0]?.toLowerCase() === 'bearer') return parts.slice(1).join(' ').trim().split(' ')[0] ?? '';
  }
  return '';
}

export function authorize(managementToken: string | undefined, token: string, rule: AclRule): void {
  if (!managementToken || token === managementToken) return;
  if (token !== '') throw forbidden('ACL not found');
  const on = rule.name !== undefined ? ` on "${rule.name}"` : '';
  throw forbidden(
    `Permission denied: anonymous token lacks permission '${rule.resource}:${rule.level}'${on}. ` +
      'The anonymous token is used implicitly when a request does not specify a token.',
  );
}
