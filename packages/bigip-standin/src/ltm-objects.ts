// One create/read/PATCH/PUT/delete for the objects kept as attribute bags (monitors, virtual servers, SNAT pools, ...).
import { selfLink } from './bigip-version';
import { framework, IcrError } from './errors';
import { checkIdentity, checkObjectName, nextGeneration, objectsOf, requirePartition, type LtmConfig, type ObjectRecord } from './ltm-config';
import { DEFAULT_PARTITION, fullPathOf, urlSegmentOf, type ObjectRef } from './names';
import { validateFields, type Schema } from './payload-validation';

/** What differs between kinds; everything else (identity, generation, PATCH vs PUT, atomicity) is shared. */
export interface ObjectKind {
  /** "/mgmt/tm/ltm/virtual": the collection URL and the key of the kind in the config. */
  mgmtPath: string;
  /** restjavad's configuration item in messages, "/ltm/virtual". */
  item: string;
  /** "tm:ltm:virtual:virtualstate"; the collection kind replaces "state" with "collectionstate". */
  kind: string;
  /** mcpd's name for the object in 01020036/01020066 messages, "Virtual Server". */
  label: string;
  schema: Schema;
  /** BIG-IP's values for what a create leaves out (and a PUT resets). */
  defaults: Readonly<Record<string, unknown>>;
  /** Checks references and canonicalises values (full paths, enums); returns the attributes to store. */
  normalise?(config: LtmConfig, ref: ObjectRef, attributes: Record<string, unknown>, previous: ObjectRecord | undefined): Record<string, unknown>;
  /** The fields a GET shows after the identity ones (default: the stored attributes); adds references and subcollections. */
  render?(config: LtmConfig, record: ObjectRecord, expand: boolean): Record<string, unknown>;
  /** Side effects of a successful create or update (a SNAT pool creates its translation addresses). */
  afterWrite?(config: LtmConfig, record: ObjectRecord): void;
  /** Throws when something still uses the object. */
  beforeDelete?(config: LtmConfig, record: ObjectRecord): void;
  /** Objects every BIG-IP ships (read-only), listed with the user's. */
  builtins?: readonly ObjectRecord[];
  /** Overrides the generic 404 text. */
  notFound?(fullPath: string): IcrError;
}

export function notFoundError(kind: ObjectKind, fullPath: string): IcrError {
  return kind.notFound ? kind.notFound(fullPath) : new IcrError(404, `01020036:3: The requested ${kind.label} (${fullPath}) was not found.`);
}

function existsError(kind: ObjectKind, ref: ObjectRef): IcrError {
  return new IcrError(409, `01020066:3: The requested ${kind.label} (${fullPathOf(ref)}) already exists in partition ${ref.partition}.`);
}

function isBuiltin(kind: ObjectKind, ref: ObjectRef): boolean {
  return (kind.builtins ?? []).some((builtin) => fullPathOf(builtin) === fullPathOf(ref));
}

/** A user object, or a built-in one. */
export function findObject(config: LtmConfig, kind: ObjectKind, ref: ObjectRef): ObjectRecord {
  const fullPath = fullPathOf(ref);
  const record = objectsOf(config, kind.mgmtPath).get(fullPath) ?? kind.builtins?.find((builtin) => fullPathOf(builtin) === fullPath);
  if (!record) throw notFoundError(kind, fullPath);
  return record;
}

export function hasObject(config: LtmConfig, kind: ObjectKind, fullPath: string): boolean {
  return objectsOf(config, kind.mgmtPath).has(fullPath) || (kind.builtins ?? []).some((builtin) => fullPathOf(builtin) === fullPath);
}

export function listObjects(config: LtmConfig, kind: ObjectKind): ObjectRecord[] {
  return [...(kind.builtins ?? []), ...objectsOf(config, kind.mgmtPath).values()];
}

export function renderObject(config: LtmConfig, kind: ObjectKind, record: ObjectRecord, expand = false): Record<string, unknown> {
  return {
    kind: kind.kind,
    name: record.name,
    partition: record.partition,
    fullPath: fullPathOf(record),
    generation: record.generation,
    selfLink: selfLink(`${kind.mgmtPath}/${urlSegmentOf(record)}`),
    ...(kind.render ? kind.render(config, record, expand) : record.attributes),
  };
}

function writableAttributes(fields: Record<string, unknown>): Record<string, unknown> {
  const { name: _name, partition: _partition, ...attributes } = fields;
  return attributes;
}

export function createObject(config: LtmConfig, kind: ObjectKind, body: unknown): ObjectRecord {
  const fields = validateFields<Record<string, unknown>>(kind.item, body, kind.schema) as Record<string, unknown>;
  if (typeof fields.name !== 'string') throw framework.missingProperty(kind.item, 'name');
  checkObjectName(kind.item, fields.name);
  const ref = { partition: typeof fields.partition === 'string' ? fields.partition : DEFAULT_PARTITION, name: fields.name };
  requirePartition(config, ref.partition);
  if (hasObject(config, kind, fullPathOf(ref))) throw existsError(kind, ref);
  const merged = { ...kind.defaults, ...writableAttributes(fields) };
  const attributes = kind.normalise ? kind.normalise(config, ref, merged, undefined) : merged;
  const record: ObjectRecord = { ...ref, attributes, generation: nextGeneration(config) };
  objectsOf(config, kind.mgmtPath).set(fullPathOf(ref), record);
  kind.afterWrite?.(config, record);
  return record;
}

/** PATCH changes only what the body names; PUT resets every attribute the body leaves out. */
export function updateObject(config: LtmConfig, kind: ObjectKind, ref: ObjectRef, body: unknown, mode: 'patch' | 'put'): ObjectRecord {
  const fullPath = fullPathOf(ref);
  if (isBuiltin(kind, ref)) throw builtinReadOnly(kind, fullPath);
  const record = objectsOf(config, kind.mgmtPath).get(fullPath);
  if (!record) throw notFoundError(kind, fullPath);
  const fields = validateFields<Record<string, unknown>>(kind.item, body, kind.schema) as Record<string, unknown>;
  checkIdentity(kind.item, record, fields);
  if (Object.keys(fields).length === 0) throw framework.noProperties();
  const merged = { ...(mode === 'put' ? kind.defaults : record.attributes), ...writableAttributes(fields) };
  record.attributes = kind.normalise ? kind.normalise(config, record, merged, record) : merged;
  record.generation = nextGeneration(config);
  kind.afterWrite?.(config, record);
  return record;
}

export function deleteObject(config: LtmConfig, kind: ObjectKind, ref: ObjectRef): void {
  const fullPath = fullPathOf(ref);
  if (isBuiltin(kind, ref)) throw builtinReadOnly(kind, fullPath);
  const record = objectsOf(config, kind.mgmtPath).get(fullPath);
  if (!record) throw notFoundError(kind, fullPath);
  kind.beforeDelete?.(config, record);
  objectsOf(config, kind.mgmtPath).delete(fullPath);
  nextGeneration(config);
}

function builtinReadOnly(kind: ObjectKind, fullPath: string): IcrError {
  // (inferred) mcpd refuses changes to the objects it ships; the exact text is not in our sources.
  return new IcrError(400, `01070712:3: Cannot modify or delete the built-in ${kind.label} (${fullPath}).`);
}

/** A built-in /Common object with its attributes. */
export function builtin(name: string, attributes: Record<string, unknown>): ObjectRecord {
  return { partition: DEFAULT_PARTITION, name, attributes, generation: 1 };
}
