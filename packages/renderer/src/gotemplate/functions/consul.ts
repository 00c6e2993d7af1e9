// consul-template's Consul and file functions: each parses its query into a dependency, reads it through the data
// source, and returns empty data (recording the dependency missing) until an answer has arrived.

import type { GoDependency } from '../data-source';
import { str } from '../params';
import { parseCatalogNode, parseCatalogNodes, parseCatalogServices, parseHealthService, parseKvGet, parseKvList } from '../query';
import { catalogNodeValue, catalogSnippetValue, healthServiceValue, keyPairValue, nodeValue, sliceOf } from '../shapes';
import { GoCallError, GoSlice, type GoValue } from '../values';
import { block, fixed, recall, variadic, type FunctionTable, type RenderContext } from './render-context';

function strArgs(args: GoValue[]): string[] {
  return args.map((_, i) => str(args, i));
}

/** ls and tree: `safe` refuses to render (blocks) while the prefix is empty, as safeLs/safeTree do. */
function kvList(ctx: RenderContext, args: GoValue[], topLevelOnly: boolean, safe: boolean): GoSlice {
  const s = str(args, 0);
  const empty = new GoSlice([], '[]*dependency.KeyPair');
  if (s === '') return empty;
  const dep = parseKvList(s);
  const answer = recall(ctx, dep);
  if (answer?.kind !== 'kv.list') return empty;
  const pairs = answer.data;
  const kept = pairs.filter((p) => (topLevelOnly ? p.Key !== '' && !p.Key.includes('/') : p.Key.split('/').pop() !== ''));
  if (kept.length === 0 && safe) block(ctx, dep);
  return new GoSlice(kept.map(keyPairValue), '[]*dependency.KeyPair');
}

export function consulFunctions(ctx: RenderContext, table: FunctionTable): void {
  table.set('service', variadic(0, (args) => {
    const parts = strArgs(args);
    if (parts.length === 0 || parts[0] === '') return new GoSlice([], '[]*dependency.HealthService');
    const answer = recall(ctx, parseHealthService(parts.join('|')));
    const data = answer?.kind === 'health.service' ? answer.data : [];
    return sliceOf(data, healthServiceValue, '[]*dependency.HealthService');
  }));

  table.set('services', variadic(0, (args) => {
    const answer = recall(ctx, parseCatalogServices(strArgs(args).join('')));
    const data = answer?.kind === 'catalog.services' ? answer.data : [];
    return sliceOf(data, catalogSnippetValue, '[]*dependency.CatalogSnippet');
  }));

  table.set('node', variadic(0, (args) => {
    const answer = recall(ctx, parseCatalogNode(strArgs(args).join('')));
    return answer?.kind === 'catalog.node' && answer.data ? catalogNodeValue(answer.data) : null;
  }));

  table.set('nodes', variadic(0, (args) => {
    const answer = recall(ctx, parseCatalogNodes(strArgs(args).join('')));
    const data = answer?.kind === 'catalog.nodes' ? answer.data : [];
    return sliceOf(data, nodeValue, '[]*dependency.Node');
  }));

  table.set('datacenters', variadic(0, (args) => {
    if (args.length > 1) throw new GoCallError(`datacenters: wrong number of arguments, expected 0 or 1, but got ${args.length}`);
    const ignoreFailing = args[0] === true;
    const answer = recall(ctx, { kind: 'catalog.datacenters', ignoreFailing });
    return new GoSlice(answer?.kind === 'catalog.datacenters' ? answer.data : [], '[]string');
  }));

  // key blocks until the key exists; keyExists and keyOrDefault never block.
  table.set('key', fixed(1, (args) => {
    const s = str(args, 0);
    if (s === '') return '';
    const dep = parseKvGet(s);
    const answer = recall(ctx, dep);
    if (answer?.kind !== 'kv.get') return '';
    if (answer.data === null) block(ctx, dep);
    return answer.data?.Value ?? '';
  }));

  table.set('keyExists', fixed(1, (args) => {
    const s = str(args, 0);
    if (s === '') return false;
    const answer = recall(ctx, parseKvGet(s));
    return answer?.kind === 'kv.get' && answer.data !== null;
  }));

  // During the first pass (no answer yet) the default renders, as consul-template's multi-phase execution does.
  table.set('keyOrDefault', fixed(2, (args) => {
    const s = str(args, 0);
    const fallback = str(args, 1);
    if (s === '') return fallback;
    const answer = recall(ctx, parseKvGet(s));
    const pair = answer?.kind === 'kv.get' ? answer.data : null;
    return pair && pair.Value !== '' ? pair.Value : fallback;
  }));

  table.set('ls', fixed(1, (args) => kvList(ctx, args, true, false)));
  table.set('safeLs', fixed(1, (args) => kvList(ctx, args, true, true)));
  table.set('tree', fixed(1, (args) => kvList(ctx, args, false, false)));
  table.set('safeTree', fixed(1, (args) => kvList(ctx, args, false, true)));

  table.set('file', fixed(1, (args) => {
    const s = str(args, 0);
    if (s === '') return '';
    const dep: GoDependency = { kind: 'file', path: s.trim() };
    const answer = recall(ctx, dep);
    return answer?.kind === 'file' ? answer.data ?? '' : '';
  }));

}
