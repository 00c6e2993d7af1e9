// /v1/catalog/node/<node>'s answer written from each service's JSON, kept per record: a write changes one record
// (replaced, never changed in place), so the next read writes one service rather than the whole node (2,000
// services: the views and their serialisation were most of the ~13 ms the read cost).

import { NodeState, ServiceRecord } from './catalog';
import { GoJsonText, goJson } from './go-json';
import { nodeServiceView, nodeView } from './views';

const written = new WeakMap<ServiceRecord, string>();

function serviceJson(service: ServiceRecord): string {
  let text = written.get(service);
  if (text === undefined) written.set(service, (text = goJson(nodeServiceView(service), false)));
  return text;
}

/** Keys a JS object would not keep in insertion order (array indexes go first) or not keep at all. */
function reordered(id: string): boolean {
  return /^\d+$/.test(id) || id === '__proto__';
}

/** The node with its services, as `{ Node, Services: { id: service } }`; written from kept parts when it can be. */
export function nodeWithServices(state: NodeState): unknown {
  const value = () => {
    const services: Record<string, unknown> = {};
    for (const service of state.services.values()) services[service.id] = nodeServiceView(service);
    return { Node: nodeView(state.node), Services: services };
  };
  const services = [...state.services.values()];
  if (services.some((service) => reordered(service.id))) return value();
  // The IDs are the map's keys: unique, as the object's keys are.
  const parts = services.map((service) => `${goJson(service.id, false)}:${serviceJson(service)}`);
  return new GoJsonText(`{"Node":${goJson(nodeView(state.node), false)},"Services":{${parts.join(',')}}}`, value);
}
