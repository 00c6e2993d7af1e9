// Multi-host testbed, swarm mode with the healer on two hosts: a host with a third of the instances killed ->
// healthy >= min again in Consul, over several kills, beside the floor measured in the same run: Consul's
// detection window (kill -> the instance critical) + swarm's reschedule (kill -> the replacement task running,
// which includes swarm's own node-down detection) + one check interval (the new instance's first passing check).

import { waitFor } from '../packages/core/src';
import { DETECTION_MS, SwarmHealerBed } from '../test/fleet/healer-swarm-support';
import { percentile, runStandalone, type BenchResult } from './stats';

const KILLS = 5;
const CHECK_INTERVAL_MS = 1_000;

export async function run(): Promise<BenchResult[]> {
  const bed = await SwarmHealerBed.start({ id: 'hsb', index: 13, replicas: 3, min: 3, max: 5 });
  try {
    await bed.waitHealthy(3, 90_000, 'three healthy shop instances');
    await waitFor(() => bed.leaderHost(), { timeoutMs: 30_000, message: 'a healer leader' });
    const capacity: number[] = [];
    const detection: number[] = [];
    const reschedule: number[] = [];
    const actionsBefore = bed.allActions();
    for (let i = 0; i < KILLS; i++) {
      // Spread one task per host (a revived host gets none back by itself), then kill the non-healer host h3.
      const victim = bed.fleet.host('h3');
      bed.fleet.host('h1').docker(['service', 'update', '--force', '--detach=false', '--quiet', 'shop'], 120_000);
      await bed.waitHealthy(3, 60_000, 'three healthy after the rebalance');
      await waitFor(async () => (await bed.health()).length === 3, { timeoutMs: 30_000, message: 'old instances deregistered' });
      const tasks = bed.tasksByHost();
      if (tasks.filter((t) => t.host === 'h3').length !== 1) throw new Error(`round ${i}: h3 does not hold a third of the tasks (${JSON.stringify(tasks)})`);
      const before = new Set(bed.runningTaskIds());
      const killedAt = Date.now();
      await victim.kill();
      // Three watchers side by side, each timing its own event from the kill.
      const [detectedAt, rescheduledAt, backAt] = await Promise.all([
        waitFor(async () => ((await bed.healthy()).length < 3 ? Date.now() : undefined), { timeoutMs: 30_000, intervalMs: 50, message: `round ${i}: the killed instance critical` }),
        waitFor(() => (bed.runningTaskIds().some((id) => !before.has(id)) ? Date.now() : undefined), { timeoutMs: 60_000, intervalMs: 100, message: `round ${i}: swarm's replacement running` }),
        (async () => {
          await waitFor(async () => (await bed.healthy()).length < 3, { timeoutMs: 30_000, intervalMs: 50, message: `round ${i}: below min` });
          return waitFor(async () => ((await bed.healthy()).filter((x) => x.Node.Node !== 'h3').length >= 3 ? Date.now() : undefined), { timeoutMs: 60_000, intervalMs: 50, message: `round ${i}: capacity back` });
        })(),
      ]);
      capacity.push(backAt - killedAt);
      detection.push(detectedAt - killedAt);
      reschedule.push(rescheduledAt - killedAt);
      await victim.revive();
      await bed.fleet.agentAnswers(victim, 30_000);
      await bed.waitNodeReady(victim);
    }
    const actions = bed.allActions();
    const added = actions.raised - actionsBefore.raised + actions.replaced - actionsBefore.replaced + actions.forced - actionsBefore.forced;
    // Swarm's reschedule counts from the kill, so it holds its own detection; Consul's detection runs beside it.
    const floors = reschedule.map((r, i) => Math.max(r, detection[i]) + CHECK_INTERVAL_MS);
    const note = `${KILLS} kills of the non-healer host (1 of 3 tasks); Consul detection ${DETECTION_MS} ms, swarm dispatcher heartbeat 1s; healer actions during the kills: ${added}`;
    return [
      { suite: 'fleet-heal', name: 'host killed -> healthy >= min p50', value: percentile(capacity, 50), unit: 'ms', note },
      { suite: 'fleet-heal', name: 'host killed -> healthy >= min max', value: Math.max(...capacity), unit: 'ms' },
      { suite: 'fleet-heal', name: 'floor p50 (max(detection, swarm reschedule) + check interval)', value: percentile(floors, 50), unit: 'ms', note: `detection p50 ${percentile(detection, 50)} ms, swarm reschedule p50 ${percentile(reschedule, 50)} ms, check ${CHECK_INTERVAL_MS} ms` },
      { suite: 'fleet-heal', name: 'capacity vs floor, p50', value: percentile(capacity, 50) / percentile(floors, 50), unit: 'x' },
      { suite: 'fleet-heal', name: 'healer actions taken on top of swarm', value: added, unit: 'count' },
    ];
  } finally {
    await bed.stop();
  }
}

runStandalone(module, run);
