// Turns the SERVICE_<KEY> values registrator does not interpret into Consul Meta, within Consul's key rules.

import { KNOWN_KEYS, type MetadataSource, type ServiceMetadata } from './container-metadata';
import { RESERVED_META_KEYS } from './registration';

/** Consul's limits (agent/structs: ValidateServiceMetadata). */
export const META_MAX_PAIRS = 64;
export const META_MAX_KEY_LENGTH = 128;
export const META_MAX_VALUE_LENGTH = 512;
const META_KEY = /^[A-Za-z0-9_-]+$/;

export interface MetaProblem {
  key: string;
  source?: MetadataSource;
  message: string;
}

/** Why Consul would reject this Meta key, or undefined when it is fine. */
export function metaKeyProblem(key: string): string | undefined {
  if (!META_KEY.test(key)) return `Meta key "${key}" has characters Consul rejects (allowed: A-Z a-z 0-9 _ -)`;
  if (key.length > META_MAX_KEY_LENGTH) return `Meta key "${key}" is longer than ${META_MAX_KEY_LENGTH} characters`;
  if (key.toLowerCase().startsWith('consul-')) return `Meta key "${key}" uses the prefix "consul-" that Consul reserves`;
  if (RESERVED_META_KEYS.includes(key)) return `Meta key "${key}" is reserved for registrator's ownership marker`;
  return undefined;
}

/**
 * Meta for one service: every metadata key that is not one registrator interprets (gliderlabs also leaked the
 * check_* keys; we do not). Keys Consul would reject are dropped and reported instead of failing the whole
 * registration (hashicorp/consul#4422). `reservedPairs` leaves room for the ownership marker.
 */
export function serviceMeta(metadata: ServiceMetadata, reservedPairs: number): { meta: Record<string, string>; problems: MetaProblem[] } {
  const meta: Record<string, string> = {};
  const problems: MetaProblem[] = [];
  const keys = [...metadata.values.keys()].filter((k) => !KNOWN_KEYS.has(k) && !k.startsWith('check_')).sort();
  for (const key of keys) {
    const source = metadata.sources.get(key);
    const value = metadata.values.get(key) ?? '';
    const problem = metaKeyProblem(key);
    if (problem) {
      problems.push({ key, source, message: `${problem}; dropped` });
      continue;
    }
    if (value.length > META_MAX_VALUE_LENGTH) {
      problems.push({ key, source, message: `Meta value for "${key}" is longer than ${META_MAX_VALUE_LENGTH} characters; dropped` });
      continue;
    }
    if (Object.keys(meta).length >= META_MAX_PAIRS - reservedPairs) {
      problems.push({ key, source, message: `more than ${META_MAX_PAIRS - reservedPairs} Meta keys; "${key}" dropped` });
      continue;
    }
    meta[key] = value;
  }
  return { meta, problems };
}
