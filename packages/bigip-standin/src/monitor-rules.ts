// Parses and normalises the `monitor` string of pools and members ("/Common/http and /Common/tcp", "min 1 of {...}").
import { mcpd } from './errors';

/** The monitors every BIG-IP ships in /Common; the stand-in has no custom monitors. */
const BUILTIN_MONITORS = new Set(['http', 'https', 'http2', 'tcp', 'tcp_half_open', 'udp', 'icmp', 'gateway_icmp', 'inband']);

/** Is there a user monitor with this full path ("/Common/web_health")? */
export type MonitorExists = (fullPath: string) => boolean;

function qualifier(userMonitorExists: MonitorExists): (name: string) => string {
  return (name) => {
    const fullPath = name.startsWith('/') ? name : `/Common/${name}`;
    const [, partition, monitor] = /^\/([^/]+)\/(.+)$/.exec(fullPath) ?? [];
    const builtin = partition === 'Common' && monitor !== undefined && BUILTIN_MONITORS.has(monitor);
    if (!monitor || (!builtin && !userMonitorExists(fullPath))) throw mcpd.monitorNotFound(fullPath);
    return fullPath;
  };
}

/** Returns the canonical rule, or undefined for "no monitor" ("" or "none"). Throws for unknown monitors. */
export function canonicalMonitorRule(rule: string, userMonitorExists: MonitorExists = () => false): string | undefined {
  const text = rule.trim();
  if (text === '' || text === 'none' || text === '/Common/none') return undefined;
  const qualify = qualifier(userMonitorExists);
  const minOf = /^min\s+(\d+)\s+of\s+\{?\s*([^}]*?)\s*\}?$/.exec(text);
  if (minOf) return `min ${minOf[1]} of { ${minOf[2]!.split(/\s+/).map(qualify).join(' ')} }`;
  return text.split(/\s+and\s+/).map(qualify).join(' and ');
}

/** BIG-IP reads an "and" rule back with a trailing space; clients must compare trimmed values. */
export function monitorRuleAsRead(canonical: string): string {
  return canonical.startsWith('min ') ? canonical : `${canonical} `;
}
