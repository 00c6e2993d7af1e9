// The demo's multi-host act (`npm run demo -- --hosts 3`): three hosts on this machine (network namespaces with
// their own Docker engines) in a swarm, a Consul cluster, the healer and f5-sync on two of them, nginx on an edge
// host; a host is killed and capacity comes back, nginx and the BIG-IP following. Each claim is checked with a
// deadline, as in the single-host demo. Needs root (namespaces) and cleans up on exit and Ctrl-C.

import { waitFor } from '../../packages/core/src';
import { failuresBetween, startRequestLoop } from '../../test/support/fleet/request-loop';
import { SHOP, ShopFleet } from '../../test/support/fleet/shop-fleet';
import { chapter, MissingPrerequisite, runAct, say, show } from './narrator';
import { checkPrerequisites } from './prerequisites';

const REPLICAS = 6;
const DETECTION_MS = 2_000;
/** Kill -> out of nginx and the BIG-IP: Consul's detection window, one render and reload, one f5-sync pass. */
const WINDOW_MS = DETECTION_MS + 3_000;

let shop: ShopFleet | undefined;

function perHost(hosts: string[]): string {
  const counts = new Map<string, number>();
  for (const host of hosts) counts.set(host, (counts.get(host) ?? 0) + 1);
  return [...counts].sort().map(([host, n]) => `${host}: ${n}`).join(', ') || '(none)';
}

async function main(): Promise<void> {
  chapter('Prerequisites');
  checkPrerequisites();
  if (process.getuid?.() !== 0) throw new MissingPrerequisite('Root (the hosts are network namespaces with their own dockerd)', 'Run the multi-host act as root: `sudo npm run demo -- --hosts 3`.');
  say('docker, docker-compose and nginx answer; running as root');

  chapter('Three hosts on this machine, a Consul cluster, a swarm');
  const started = Date.now();
  shop = await ShopFleet.start({ id: 'fa9', index: 29, replicas: REPLICAS, min: REPLICAS, max: REPLICAS + 3, detectionMs: DETECTION_MS, lockDelayMs: 3_000 });
  for (const host of shop.fleet.bed.hosts) say(`${host.name.padEnd(5)} ${host.address}  (own network namespace and dockerd)`);
  say(`cs runs the Consul server (failure detection ${DETECTION_MS} ms); h1-h3 a client agent, registrator and a swarm manager each;`);
  say('the healer and f5-sync run on h1 and h2 (one leader each); edge runs nginx and the renderer');
  say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  chapter(`Swarm runs ${REPLICAS} shop tasks -> registrator publishes them -> nginx and the BIG-IP route to every host`);
  await shop.waitHealthy(REPLICAS, 120_000, `${REPLICAS} healthy shop instances`);
  show('swarm tasks per host', perHost(shop.tasks().map((t) => t.host)));
  await waitFor(() => shop!.edge.upstreamServers().length === REPLICAS, { timeoutMs: 30_000, message: `${REPLICAS} shop servers in nginx` });
  await waitFor(() => shop!.traffic().receiving.length === REPLICAS, { timeoutMs: 30_000, message: `${REPLICAS} members receiving on the BIG-IP` });
  show('nginx upstream servers (edge)', shop.edge.upstreamServers().join(', '));
  show('BIG-IP pool /Common/shop, members receiving', shop.traffic().receiving.join(', '));
  const answered = new Set<string>();
  await waitFor(async () => {
    for (let i = 0; i < 12; i++) {
      const reply = await shop!.edge.get(SHOP).catch(() => undefined);
      if (reply?.status === 200) answered.add(reply.body.trim().split(' ')[0]);
    }
    return answered.size === REPLICAS;
  }, { timeoutMs: 20_000, message: 'every task answered through nginx' });
  show('requests through nginx (Host: shop) reached', [...answered].sort().join(', '));

  chapter('h3 dies (kill -9 of its engine, containers, agent and daemons) while requests flow through nginx');
  const victim = shop.host('h3');
  const onVictim = shop.tasks().filter((t) => t.host === 'h3').length;
  const loop = startRequestLoop(shop.edge, SHOP, { maxRequests: 20_000, maxMs: 90_000, gapMs: 5 });
  const killedAt = Date.now();
  await victim.kill();
  say(`h3 killed with ${onVictim} of ${REPLICAS} tasks`);
  const h3Prefix = `${victim.address}:`;
  const serfHealth = async () => ((await (await fetch(`${shop!.fleet.consulUrl}/v1/health/node/h3`)).json()) as Array<{ CheckID: string; Status: string }>).find((c) => c.CheckID === 'serfHealth')?.Status;
  await waitFor(async () => (await serfHealth()) === 'critical', { timeoutMs: WINDOW_MS + 5_000, intervalMs: 50, message: "h3's serfHealth critical in Consul" });
  say(`Consul noticed: h3's serfHealth is critical, +${Date.now() - killedAt} ms`);
  await waitFor(() => !shop!.edge.upstreamServers().some((s) => s.startsWith(h3Prefix)), { timeoutMs: WINDOW_MS + 5_000, intervalMs: 50, message: 'h3 out of nginx' });
  say(`the renderer reloaded nginx without h3: +${Date.now() - killedAt} ms`);
  await waitFor(() => !shop!.traffic().receiving.some((m) => m.startsWith(h3Prefix)), { timeoutMs: WINDOW_MS + 5_000, intervalMs: 50, message: 'h3 out of the BIG-IP traffic' });
  say(`f5-sync took h3's members out of the BIG-IP's traffic: +${Date.now() - killedAt} ms`);

  chapter('Capacity comes back: swarm reschedules, the healer checks and adds nothing on top');
  const actionsBefore = shop.healerActions();
  await waitFor(async () => (await shop!.healthy()).filter((i) => i.Node.Node !== 'h3').length >= REPLICAS, { timeoutMs: 60_000, intervalMs: 100, message: `${REPLICAS} healthy without h3` });
  say(`${REPLICAS} healthy instances again without h3: +${Date.now() - killedAt} ms`);
  show('swarm tasks per host', perHost(shop.tasks().map((t) => t.host)));
  await waitFor(() => shop!.edge.upstreamServers().length >= REPLICAS && shop!.traffic().receiving.length >= REPLICAS, { timeoutMs: 20_000, message: 'nginx and the BIG-IP on the replacements' });
  show('nginx upstream servers', shop.edge.upstreamServers().join(', '));
  show('BIG-IP members receiving', shop.traffic().receiving.join(', '));
  const samples = await loop.stop();
  const inWindow = failuresBetween(samples, killedAt, killedAt + WINDOW_MS).length;
  const after = failuresBetween(samples, killedAt + WINDOW_MS).length;
  if (after > 0) throw new Error(`${after} requests failed after the ${WINDOW_MS} ms window`);
  say(`requests through nginx during the event: ${samples.length}, failed ${inWindow} inside the ${WINDOW_MS} ms window, ${after} after it`);
  const actions = shop.healerActions();
  say(`healer actions: ${actions.raised - actionsBefore.raised} replicas raised, ${actions.replaced - actionsBefore.replaced} tasks replaced (swarm did the rescheduling)`);

  chapter('h3 comes back');
  await shop.revive(victim);
  say('its engine, agent and registrator are back and its swarm node is Ready; swarm places new tasks there (it moves none back by itself)');
}

runAct({
  main,
  cleanup: async () => {
    if (shop) await shop.stop();
  },
  done: 'every step was checked; removing the hosts, their engines and the BIG-IP stand-in',
});
