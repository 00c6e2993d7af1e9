// Multi-host testbed: a host killed -> its instances out of the edge nginx (rendered and reloaded), over several
// kills, beside the floor measured in the same run: Consul's detection window + one render and reload (a Consul
// change on a live host -> nginx reloaded without it). And the #16 row: a swarm host with a third of the instances
// killed -> healthy >= min again, beside its floor (detection, swarm's reschedule, one check interval).

import { waitFor } from '../packages/core/src';
import { ensureBusyboxImage } from '../test/support/docker-images';
import { startEdge } from '../test/support/fleet/edge';
import { Fleet } from '../test/support/fleet/fleet';
import { ShopFleet } from '../test/support/fleet/shop-fleet';
import { percentile, runStandalone, type BenchResult } from './stats';

const DETECTION_MS = 2_000;
const KILLS = 5;

export async function run(): Promise<BenchResult[]> {
  return [...(await outOfNginx()), ...(await capacityBack())];
}

async function outOfNginx(): Promise<BenchResult[]> {
  const image = ensureBusyboxImage();
  const fleet = await Fleet.start({ id: 'fbn', index: 6, workers: ['h1', 'h2', 'h3'], others: ['edge'], detectionMs: DETECTION_MS, images: [image] });
  try {
    for (const host of fleet.workers) {
      fleet.composeWeb(host, 1, { image, tags: ['fleet'] });
      fleet.startRegistrator(host);
    }
    const edge = await startEdge(fleet, fleet.host('edge'), { siteTag: 'fleet' });
    const hostsIn = () => new Set(edge.upstreamServers().map((server) => server.slice(0, server.lastIndexOf(':'))));
    const allIn = () => fleet.workers.every((host) => hostsIn().has(host.address));
    await waitFor(allIn, { timeoutMs: 60_000, message: 'every host in the rendered upstream' });

    /** Time from `act` until `name` is out of the rendered upstream and nginx has reloaded since. */
    const outOfNginx = async (name: string, act: () => Promise<void>): Promise<number> => {
      const reloadsBefore = edge.reloads();
      const started = Date.now();
      await act();
      await waitFor(() => !hostsIn().has(fleet.host(name).address) && edge.reloads() > reloadsBefore, { timeoutMs: DETECTION_MS + 15_000, message: `${name} out of nginx` });
      return Date.now() - started;
    };

    // Floor, part 2: one Consul change on a live host -> rendered and reloaded (maintenance on its instance).
    const renders: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const host = fleet.workers[i % fleet.workers.length];
      const agent = await host.expose(8500);
      const id = `${host.name}:fleetweb_web_1:80`; // registrator's id: host, container name, exposed port
      const maintenance = (enable: boolean) => fetch(`http://127.0.0.1:${agent.port}/v1/agent/service/maintenance/${encodeURIComponent(id)}?enable=${enable}&reason=bench`, { method: 'PUT' }).then((r) => {
        if (r.status !== 200) throw new Error(`maintenance on ${id}: HTTP ${r.status}`);
      });
      renders.push(await outOfNginx(host.name, () => maintenance(true)));
      await maintenance(false);
      await waitFor(allIn, { timeoutMs: 30_000, message: `${host.name} back after maintenance` });
      await agent.close();
    }

    const kills: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const host = fleet.workers[i % fleet.workers.length];
      kills.push(await outOfNginx(host.name, () => host.kill()));
      await host.revive();
      await waitFor(allIn, { timeoutMs: 60_000, message: `${host.name} back after revive` });
    }

    const floorP50 = DETECTION_MS + percentile(renders, 50);
    const floorP99 = DETECTION_MS + percentile(renders, 99);
    const note = `${KILLS} kills of 3 hosts; floor = detection ${DETECTION_MS} ms + render/reload (detection counts from the last 200 ms heartbeat, so a kill can beat it by up to 200 ms)`;
    return [
      { suite: 'fleet', name: 'host killed -> out of nginx p50', value: percentile(kills, 50), unit: 'ms', note },
      { suite: 'fleet', name: 'host killed -> out of nginx p99', value: percentile(kills, 99), unit: 'ms', note },
      { suite: 'fleet', name: 'floor p50 (detection + render/reload p50)', value: floorP50, unit: 'ms', note: `render/reload p50 ${percentile(renders, 50)} ms` },
      { suite: 'fleet', name: 'floor p99 (detection + render/reload p99)', value: floorP99, unit: 'ms', note: `render/reload p99 ${percentile(renders, 99)} ms` },
      { suite: 'fleet', name: 'host kill vs floor, p50', value: percentile(kills, 50) / floorP50, unit: 'x' },
    ];
  } finally {
    await fleet.stop();
  }
}


const CHECK_INTERVAL_MS = 1_000;
const REPLICAS = 6;

/** h3 (2 of 6 shop tasks, no healer or f5-sync on it) killed -> 6 healthy again, KILLS times, beside the floor. */
export async function capacityBack(): Promise<BenchResult[]> {
  const shop = await ShopFleet.start({ id: 'fab', index: 23, replicas: REPLICAS, min: REPLICAS, max: REPLICAS + 3, detectionMs: DETECTION_MS, lockDelayMs: 3_000 });
  try {
    await shop.waitHealthy(REPLICAS, 120_000, `${REPLICAS} healthy shop instances`);
    await waitFor(() => shop.healerLeader(), { timeoutMs: 30_000, message: 'a healer leader' });
    const capacity: number[] = [];
    const detection: number[] = [];
    const reschedule: number[] = [];
    const actionsBefore = shop.healerActions();
    for (let i = 0; i < KILLS; i++) {
      if (i > 0) await shop.rebalance(); // a revived host gets no task back by itself
      const tasks = shop.tasks();
      if (tasks.filter((t) => t.host === 'h3').length !== REPLICAS / 3) throw new Error(`round ${i}: h3 does not hold a third of the tasks (${JSON.stringify(tasks)})`);
      const before = new Set(tasks.map((t) => t.container));
      const victim = shop.host('h3');
      const killedAt = Date.now();
      await victim.kill();
      // Consul's detection and capacity back, timed by watchers side by side; swarm's reschedule from swarm's own
      // record (when each replacement task turned running), not from a poll of the CLI, which lags on a busy machine.
      const [detectedAt, backAt] = await Promise.all([
        waitFor(async () => ((await shop.healthy()).some((x) => x.Node.Node === 'h3') ? undefined : Date.now()), { timeoutMs: 30_000, intervalMs: 50, message: `round ${i}: h3's instances critical` }),
        waitFor(async () => ((await shop.healthy()).filter((x) => x.Node.Node !== 'h3').length >= REPLICAS ? Date.now() : undefined), { timeoutMs: 60_000, intervalMs: 50, message: `round ${i}: capacity back` }),
      ]);
      const replacements = await waitFor(() => {
        const started = shop.tasks().filter((t) => t.state === 'running' && !before.has(t.container));
        return started.length >= REPLICAS / 3 ? started : undefined;
      }, { timeoutMs: 30_000, message: `round ${i}: swarm's replacements running` });
      const rescheduledAt = Math.max(...replacements.map((t) => t.since));
      capacity.push(backAt - killedAt);
      detection.push(detectedAt - killedAt);
      reschedule.push(rescheduledAt - killedAt);
      await shop.revive(victim);
    }
    const actions = shop.healerActions();
    const added = actions.raised - actionsBefore.raised + actions.replaced - actionsBefore.replaced + actions.forced - actionsBefore.forced;
    // Swarm's reschedule counts from the kill, so it holds swarm's own node-down detection, which runs beside Consul's.
    // The floor adds one check interval; the stand-in agent runs a new check at once, so the floor without it
    // is the tighter bound and both are reported.
    const bare = reschedule.map((r, i) => Math.max(r, detection[i]));
    const floors = bare.map((f) => f + CHECK_INTERVAL_MS);
    const note = `${KILLS} kills of h3 (2 of 6 tasks, overlay network, ports published in host mode); Consul detection ${DETECTION_MS} ms, swarm dispatcher heartbeat 1s; healer actions during the kills: ${added}`;
    return [
      { suite: 'fleet', name: 'host killed -> capacity back (healthy >= min) p50', value: percentile(capacity, 50), unit: 'ms', note },
      { suite: 'fleet', name: 'host killed -> capacity back max', value: Math.max(...capacity), unit: 'ms' },
      { suite: 'fleet', name: 'capacity floor p50 (max(detection, swarm reschedule) + check interval)', value: percentile(floors, 50), unit: 'ms', note: `detection p50 ${percentile(detection, 50)} ms, swarm reschedule p50 ${percentile(reschedule, 50)} ms, check ${CHECK_INTERVAL_MS} ms` },
      { suite: 'fleet', name: 'capacity floor p50 without the check interval (max(detection, swarm reschedule))', value: percentile(bare, 50), unit: 'ms', note: 'a new check runs at registration' },
      { suite: 'fleet', name: 'capacity back vs floor, p50', value: percentile(capacity, 50) / percentile(floors, 50), unit: 'x' },
      { suite: 'fleet', name: 'capacity back vs floor without the check interval, p50', value: percentile(capacity, 50) / percentile(bare, 50), unit: 'x' },
      { suite: 'fleet', name: 'healer actions on top of swarm during the kills', value: added, unit: 'count' },
    ];
  } finally {
    await shop.stop();
  }
}

runStandalone(module, run);
