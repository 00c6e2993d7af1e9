// No silent coercion: every value f5-sync's config is given must already have its schema type (core's schema
// validation would turn `consulService: 5` into "5" and `roleTags.master: "10"` into 10). Checked before core's
// validation fills the defaults; environment strings are converted here, strictly, naming the variable.

import { ConfigError, setPath } from '@consul-sidecars/core';

interface SchemaNode {
  type?: string | readonly string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fits(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** The first value (depth first) whose JSON type is not its schema's, as { field, value, expected }; undefined when all fit. */
export function typeMismatch(schema: SchemaNode, value: unknown, field = ''): { field: string; value: unknown; expected: string } | undefined {
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!types.some((type) => fits(value, type))) return { field: field || '(root)', value, expected: types.join(' or ') };
  }
  const at = (key: string | number) => (field ? `${field}.${key}` : String(key));
  if (typeOf(value) === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const node = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      const found = node && typeMismatch(node, child, at(key));
      if (found) return found;
    }
  }
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const found = typeMismatch(schema.items, value[i], at(i));
      if (found) return found;
    }
  }
  return undefined;
}

/** Throws a ConfigError naming the field, the value and the type wanted, for the first value of the wrong type. */
export function assertConfigTypes(schema: object, value: unknown, source: string): void {
  const found = typeMismatch(schema as SchemaNode, value);
  if (!found) return;
  throw new ConfigError(`invalid ${source}: ${found.field} must be ${/^[aeiou]/.test(found.expected) ? `an ${found.expected}` : `a ${found.expected}`}, not ${JSON.stringify(found.value)} (no value is converted)`, {
    field: found.field,
    value: found.value,
    source,
  });
}

function schemaAt(schema: SchemaNode, path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const key of path.split('.')) node = node?.properties?.[key];
  return node;
}

/**
 * Environment variables -> config values of their schema type: an integer field takes only digits, a boolean only
 * "true"/"false"; anything else is a ConfigError naming the variable and its value.
 */
export function typedEnv(schema: object, env: NodeJS.ProcessEnv, mapping: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [variable, path] of Object.entries(mapping)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const node = schemaAt(schema as SchemaNode, path);
    const types = node?.type === undefined ? ['string'] : typeof node.type === 'string' ? [node.type] : node.type;
    let value: unknown = raw;
    if (!types.includes('string')) {
      if ((types.includes('integer') && /^-?\d+$/.test(raw)) || (types.includes('number') && /^-?\d+(\.\d+)?$/.test(raw))) value = Number(raw);
      else if (types.includes('boolean') && (raw === 'true' || raw === 'false')) value = raw === 'true';
      else throw new ConfigError(`${variable}="${raw}" is not ${types.join(' or ')} (for ${path})`, { field: variable, value: raw, source: 'environment' });
    }
    setPath(out, path, value);
  }
  return out;
}
