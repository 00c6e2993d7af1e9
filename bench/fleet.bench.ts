// Multi-host testbed: a host killed -> its instances out of the edge nginx (rendered and reloaded), over several
// kills, beside the floor measured in the same run: Consul's detection window + one render and reload (a Consul
// change on a live host -> nginx reloaded without it).

import { waitFor } from '../packages/core/src';
import { ensureBusyboxImage } from '../test/support/docker-images';
import { startEdge } from '../test/support/fleet/edge';
import { Fleet } from '../test/support/fleet/fleet';
import { percentile, runStandalone, type BenchResult } from './stats';

const DETECTION_MS = 2_000;
const KILLS = 5;

export async function run(): Promise<BenchResult[]> {
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

runStandalone(module, run);
