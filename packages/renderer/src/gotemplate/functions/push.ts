// pushUpstream, the renderer's one function beyond consul-template's: `{{ pushUpstream "web" (service "web") }}`
// hands the instances to the no-reload mode (nginx's Lua balancer) and renders nothing.

import { str } from '../params';
import { healthServiceOf } from '../shapes';
import type { HealthService } from '../data-source';
import { GoCallError, GoSlice, goTypeName } from '../values';
import { fixed, type FunctionTable, type RenderContext } from './render-context';

const SERVICE_LIST = '[]*dependency.HealthService';

export function pushFunctions(ctx: RenderContext, table: FunctionTable): void {
  table.set('pushUpstream', fixed(2, (args) => {
    const upstream = str(args, 0);
    const list = args[1];
    const services = list instanceof GoSlice && list.typeName === SERVICE_LIST ? list.items.map(healthServiceOf) : [undefined];
    if (!services.every((s): s is HealthService => s !== undefined)) {
      throw new GoCallError(`upstream ${JSON.stringify(upstream)}: want the list \`service\` gives (${SERVICE_LIST}), got ${goTypeName(list)}`);
    }
    if (!ctx.pushUpstream) throw new GoCallError('only the renderer\'s no-reload mode (upstreamPush) takes it');
    try {
      ctx.pushUpstream(upstream, services);
    } catch (err) {
      throw new GoCallError(err instanceof Error ? err.message : String(err));
    }
    return '';
  }));
}
