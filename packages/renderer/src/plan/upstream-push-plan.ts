// The pure decision of one push to nginx's upstream endpoint: which upstreams to set, which to remove, which
// to hold (the guard refuses to empty them). The pusher gathers the inputs and sends the answer.

import { peersDigest, usablePeers, type UpstreamPeer } from './upstream-peers';

export interface PushPlanInput {
  /** What the templates want now, by upstream name. */
  desired: ReadonlyMap<string, readonly UpstreamPeer[]>;
  /** What nginx confirmed holding (digest of the peers), by upstream name; cleared when nginx restarted. */
  confirmed: ReadonlyMap<string, string>;
  /** Upstreams this renderer pushed and that nginx may still hold: only these are ever removed. */
  owned: ReadonlySet<string>;
  /** Hold an upstream with no usable peer (guard.rejectEmptyUpstreams): its current peers stay in nginx. */
  rejectEmpty: boolean;
  /** Include removals (the runner removes only after the server blocks that used them are gone). */
  prune: boolean;
}

export interface PushHold {
  upstream: string;
  reason: 'empty-upstream';
  detail: string;
}

export interface PushPlan {
  set: Map<string, UpstreamPeer[]>;
  remove: string[];
  held: PushHold[];
}

export function planPush(input: PushPlanInput): PushPlan {
  const set = new Map<string, UpstreamPeer[]>();
  const held: PushHold[] = [];
  for (const [name, peers] of [...input.desired].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (input.confirmed.get(name) === peersDigest(peers)) continue;
    if (input.rejectEmpty && usablePeers(peers) === 0) {
      held.push({ upstream: name, reason: 'empty-upstream', detail: `upstream ${name} would have no usable peer (${peers.length} listed); its current peers stay` });
      continue;
    }
    set.set(name, [...peers]);
  }
  const remove = input.prune ? [...input.owned].filter((name) => !input.desired.has(name)).sort() : [];
  return { set, remove, held };
}

/** The endpoint's request body: `null` removes an upstream. */
export function pushBody(plan: Pick<PushPlan, 'set' | 'remove'>): { upstreams: Record<string, UpstreamPeer[] | null> } {
  const upstreams: Record<string, UpstreamPeer[] | null> = {};
  for (const [name, peers] of plan.set) upstreams[name] = peers;
  for (const name of plan.remove) upstreams[name] = null;
  return { upstreams };
}
