// The role convention shared by registrator, the renderer and f5-sync: an instance's role is Meta.role when set,
// else the value of a `role=<r>` tag, else the first of its tags that is a configured role tag (master, slave...).

/** Plain tags that name a role when nothing else is configured (as registrator and f5-sync write them). */
export const DEFAULT_ROLE_TAGS: readonly string[] = ['master', 'slave', 'primary', 'replica', 'backup', 'standby'];

export const ROLE_META_KEY = 'role';
export const ROLE_TAG_PREFIX = 'role=';

export function instanceRole(meta: Readonly<Record<string, string>>, tags: readonly string[], roleTags: Iterable<string> = DEFAULT_ROLE_TAGS): string | undefined {
  const fromMeta = meta[ROLE_META_KEY];
  if (fromMeta) return fromMeta;
  const prefixed = tags.find((t) => t.startsWith(ROLE_TAG_PREFIX));
  if (prefixed !== undefined) return prefixed.slice(ROLE_TAG_PREFIX.length);
  const known = new Set(roleTags);
  return tags.find((t) => known.has(t));
}

/**
 * The highest number any of the tags maps to (f5-sync's role tag -> priority group); `fallback` when none does.
 * Looks at plain tags only, as f5-sync does today.
 */
export function highestTagValue(tags: readonly string[], byTag: Readonly<Record<string, number>>, fallback: number): number {
  let best: number | undefined;
  for (const tag of tags) {
    const value = Object.prototype.hasOwnProperty.call(byTag, tag) ? byTag[tag] : undefined;
    if (value !== undefined && (best === undefined || value > best)) best = value;
  }
  return best ?? fallback;
}
