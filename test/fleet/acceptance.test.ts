// The #16 acceptance on the testbed, on one bed: three swarm managers running "shop" (two tasks each), the healer
// and f5-sync on h1 and h2, nginx with the renderer on an edge host, a BIG-IP stand-in with role tags as priority
// groups, and a bounded request loop through nginx for each event, counting failures inside and after the window.

import { expect } from 'chai';
import { join } from 'node:path';
import { waitFor } from '../../packages/core/src';
import { failuresBetween, startRequestLoop, type RequestLoop } from '../support/fleet/request-loop';
import { AGENT_PORT, BIN } from '../support/fleet/fleet';
import { DAEMON_HOSTS, SHOP, ShopFleet, type ShopInstance } from '../support/fleet/shop-fleet';

const DETECTION_MS = 2_000;
const LOCK_DELAY_MS = 3_000;
/** Kill -> out of nginx and out of the BIG-IP's traffic: Consul's detection, one render/reload, one f5-sync pass. */
const WINDOW_MS = DETECTION_MS + 3_000;
/** Swarm's dispatcher heartbeat is 1 s in the testbed: a dead node is Down after a few missed beats. */
const SWARM_DOWN_MS = 6_000;
const SCRIPTS = join(__dirname, '..', '..', 'scripts', 'jenkins');
const REPLICAS = 6;

describe('#16 acceptance: a host died -> capacity is back, across hosts @integration', function () {
  this.timeout(400_000);
  let shop: ShopFleet;
  const figures: string[] = [];

  const hostOf = (instance: ShopInstance) => instance.Node.Node;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const moreSamples = (loop: RequestLoop, n: number, what: string) => {
    const target = loop.samples().length + n;
    return waitFor(() => loop.samples().length >= target, { timeoutMs: 30_000, message: what });
  };
  const sum = (a: { replaced: number; forced: number; raised: number }, b: typeof a) => ({ replaced: a.replaced - b.replaced, forced: a.forced - b.forced, raised: a.raised - b.raised });

  before(async () => {
    shop = await ShopFleet.start({ id: 'fa1', index: 20, replicas: REPLICAS, min: REPLICAS, max: REPLICAS + 3, detectionMs: DETECTION_MS, lockDelayMs: LOCK_DELAY_MS });
    await shop.waitHealthy(REPLICAS, 120_000, `${REPLICAS} healthy shop instances`);
    await waitFor(() => shop.edge.upstreamServers().length === REPLICAS, { timeoutMs: 30_000, message: `${REPLICAS} shop servers in nginx` });
    await waitFor(() => shop.traffic().receiving.length === REPLICAS, { timeoutMs: 30_000, message: `${REPLICAS} members receiving on the BIG-IP` });
    await waitFor(() => shop.healerLeader(), { timeoutMs: 30_000, message: 'a healer leader' });
  });

  // A failed case leaves no host dead for the next (two dead managers of three: swarm loses its quorum).
  afterEach(async () => {
    for (const host of shop?.fleet.workers ?? []) if (!host.isAlive) await shop.revive(host);
  });

  after(async () => {
    if (figures.length > 0) console.log(`      figures:\n        ${figures.join('\n        ')}`);
    if (!shop) return;
    if (process.env.FLEET_ACCEPTANCE_LOGS) shop.keepLogs(process.env.FLEET_ACCEPTANCE_LOGS);
    await shop.stop();
    expect(shop.fleet.bed.leftovers()).to.deep.equal([]);
  });

  it('kill a host with a third of the instances: healthy >= min within detection + one heal, each action once, nothing routed to it after the window', async () => {
    const victim = shop.host('h3');
    expect(shop.tasks().filter((t) => t.host === 'h3').length, 'h3 runs a third of the tasks').to.equal(REPLICAS / 3);
    await waitFor(async () => shop.nginxHosts().includes('h3') && (await shop.healthy()).length === REPLICAS, { timeoutMs: 20_000, message: 'a settled start' })
      .catch(async (error: unknown) => {
        throw new Error(`${String(error)}: nginx ${shop.nginxHosts().join(',')} ${shop.edge.upstreamServers().join(',')}; healthy ${(await shop.healthy()).map((i) => i.Service.ID).join(', ')}`);
      });
    const actionsBefore = shop.healerActions();
    const loop = startRequestLoop(shop.edge, SHOP, { maxRequests: 20_000, maxMs: 90_000, gapMs: 5 });
    await moreSamples(loop, 20, 'requests before the kill');
    const killedAt = Date.now();
    await victim.kill();
    // After the window: nginx, the pool's traffic and every answer leave h3 alone, sampled until capacity is back.
    const routedAfterWindow: string[] = [];
    let stopWatch = false;
    const watch = (async () => {
      while (Date.now() - killedAt < 60_000) {
        if (Date.now() - killedAt >= WINDOW_MS) {
          if (shop.nginxHosts().includes('h3')) routedAfterWindow.push(`nginx at +${Date.now() - killedAt} ms`);
          const receiving = shop.traffic().receiving.filter((m) => m.startsWith(`${victim.address}:`));
          if (receiving.length > 0) routedAfterWindow.push(`BIG-IP ${receiving.join(',')} at +${Date.now() - killedAt} ms`);
        }
        if (stopWatch) return;
        await sleep(100);
      }
    })();
    // Healthy >= min without h3 (its instances stay passing in Consul until the detection window ends).
    await waitFor(async () => (await shop.healthy()).filter((i) => hostOf(i) !== 'h3').length >= REPLICAS, {
      timeoutMs: DETECTION_MS + SWARM_DOWN_MS + 25_000, intervalMs: 100, message: 'healthy >= min without h3 after it died',
    });
    const backAfterMs = Date.now() - killedAt;
    await waitFor(() => shop.edge.upstreamServers().length >= REPLICAS && !shop.nginxHosts().includes('h3'), { timeoutMs: 20_000, message: 'nginx routes to the replacements' });
    await moreSamples(loop, 50, 'requests on the healed fleet');
    stopWatch = true;
    await watch;
    const samples = await loop.stop();
    const inWindow = failuresBetween(samples, killedAt, killedAt + WINDOW_MS);
    const afterWindow = failuresBetween(samples, killedAt + WINDOW_MS);
    const answeredByH3 = samples.filter((s) => s.at >= killedAt + WINDOW_MS && s.ok && shop.hostOfNode(s.body.split(' ')[1]) === 'h3');
    // Let the healer leader run passes over the settled state: swarm rescheduled, the healer adds nothing on top.
    const leader = (await shop.healerLeader())!;
    const passes = shop.healerPasses(leader);
    await waitFor(() => shop.healerPasses(leader) >= passes + 3, { timeoutMs: 20_000, message: 'three healer passes after recovery' });
    const actions = sum(shop.healerActions(), actionsBefore);
    figures.push(`host kill: ${samples.length} requests, failed ${inWindow.length} inside the ${WINDOW_MS} ms window, ${afterWindow.length} after; healthy >= ${REPLICAS} ${backAfterMs} ms after the kill; healer actions ${JSON.stringify(actions)}, replicas ${shop.replicas()}`);
    expect(afterWindow.map((s) => `${s.at - killedAt} ms: ${s.status} ${s.body}`), 'failed requests after the window').to.deep.equal([]);
    expect(answeredByH3, 'answers from the dead host after the window').to.deep.equal([]);
    expect(routedAfterWindow, 'routed to the dead host after the window').to.deep.equal([]);
    expect(actions.replaced, 'task replacements cluster-wide').to.be.at.most(1);
    expect(actions.forced).to.equal(0);
    expect(actions.raised, 'replicas raised cluster-wide').to.be.at.most(1);
    expect(backAfterMs, 'within detection + swarm reschedule + one heal').to.be.below(DETECTION_MS + SWARM_DOWN_MS + 25_000);
  });

  it("the healer leader's host dies: the other healer takes over and heals exactly once", async () => {
    const leader = (await shop.healerLeader())!;
    expect(DAEMON_HOSTS as readonly string[]).to.include(leader);
    const survivor = DAEMON_HOSTS.find((h) => h !== leader)!;
    const before = shop.healerActions();
    // An instance away from the dying host turns unhealthy as the leader's host dies: only the new leader can heal it.
    const target = shop.tasks().find((t) => t.host !== leader && t.state === 'running')!;
    const killedAt = Date.now();
    await shop.host(leader).kill();
    shop.host(target.host).docker(['exec', target.container, 'rm', '/www/health']);
    await waitFor(async () => (await shop.healerLeader()) === survivor, { timeoutMs: 40_000, intervalMs: 200, message: `the healer lock on ${survivor}` });
    const tookOverMs = Date.now() - killedAt;
    // A manager answers an empty (or partial) task list while the swarm elects (one of three managers died), and the
    // new leader holds while swarm has no quorum: neither is proof, nor a deadline of its own. One wait, bounded by
    // the election (a clean-clone run saw it past 20 s) + the replacement: the new leader's replacement in its log,
    // and a task list that has tasks and lacks the unhealthy one.
    await waitFor(() => {
      if (sum(shop.healerActions(), before).replaced < 1) return false;
      const tasks = shop.tasks();
      return tasks.length > 0 && !tasks.some((t) => t.container === target.container);
    }, { timeoutMs: 120_000, message: 'the unhealthy task replaced by the new leader' }).catch((err: Error) => {
      throw new Error(`${err.message}; actions since the kill ${JSON.stringify(sum(shop.healerActions(), before))}; tasks ${JSON.stringify(shop.tasks())}`);
    });
    await shop.waitHealthy(REPLICAS, 60_000, `${REPLICAS} healthy after the leader died`);
    const healedMs = Date.now() - killedAt;
    const passes = shop.healerPasses(survivor);
    await waitFor(() => shop.healerPasses(survivor) >= passes + 3, { timeoutMs: 20_000, message: 'three passes of the new leader after the heal' });
    const actions = sum(shop.healerActions(), before);
    figures.push(`healer leader ${leader} killed: lock on ${survivor} after ${tookOverMs} ms, ${REPLICAS} healthy after ${healedMs} ms, actions ${JSON.stringify(actions)}`);
    expect(actions.replaced, 'task replacements cluster-wide').to.equal(1);
    expect(actions.raised, 'replicas raised').to.equal(0);
    expect(actions.forced).to.equal(0);
  });

  it("the master's host dies: BIG-IP traffic on the slaves at once, then role promote; never two masters", async () => {
    // The master on a host whose f5-sync does not lead (h3 runs none): the pool follows without a lock moving.
    await shop.waitHealthy(REPLICAS, 30_000, 'a settled fleet');
    const [f5Leader] = await waitFor(async () => {
      const now = await shop.f5Leaders();
      return now.length === 1 ? now : undefined;
    }, { timeoutMs: 20_000, message: 'one f5-sync leader' });
    const healthyNow = await shop.healthy();
    const master = healthyNow.find((i) => hostOf(i) === 'h3') ?? healthyNow.find((i) => hostOf(i) !== f5Leader)!;
    const masterHost = hostOf(master);
    const promote = (host: string, id: string) => shop.host(host).runToExit('role-promote', process.execPath, [BIN.registrator, 'role', 'promote', id, `consul://127.0.0.1:${AGENT_PORT}`]);
    expect((await promote(f5Leader, master.Service.ID)).code).to.equal(0);
    const masterMember = `${master.Service.Address}:${master.Service.Port}`;
    await waitFor(() => {
      const receiving = shop.traffic().receiving;
      return receiving.length === 1 && receiving[0] === masterMember;
    }, { timeoutMs: 20_000, message: 'BIG-IP traffic on the master only' });

    // Sample the role everywhere it shows: Consul (passing instances tagged master), KV (role keys) and the BIG-IP
    // (receiving members of the master's priority group).
    const violations: string[] = [];
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const passingMasters = (await shop.healthy()).filter((i) => (i.Service.Tags ?? []).includes('master')).map((i) => i.Service.ID);
        const kv = (await (await fetch(`${shop.fleet.consulUrl}/v1/kv/registrator/roles/?recurse`)).json().catch(() => [])) as Array<{ Key: string; Value: string | null }>;
        const kvMasters = kv.filter((k) => k.Value && Buffer.from(k.Value, 'base64').toString('utf8').includes('"master"')).map((k) => k.Key);
        const view = shop.traffic();
        const bigipMasters = view.members.filter((m) => m.receiving && m.priorityGroup === 10).map((m) => m.name);
        for (const [where, list] of [['Consul', passingMasters], ['KV', kvMasters], ['BIG-IP', bigipMasters]] as const) {
          if (list.length > 1) violations.push(`${where}: ${list.join(', ')}`);
        }
        samples++;
        await sleep(100);
      }
    })();
    const killedAt = Date.now();
    await shop.host(masterHost).kill();
    await waitFor(() => {
      const view = shop.traffic();
      return view.receiving.length > 0 && view.members.filter((m) => m.receiving).every((m) => m.priorityGroup === 9 && !m.name.startsWith(`${shop.host(masterHost).address}:`));
    // The figure says how soon (2.2 s quiet); the deadline leaves room for a loaded machine.
    }, { timeoutMs: WINDOW_MS + 15_000, intervalMs: 50, message: 'BIG-IP traffic on the slaves' });
    const slavesAfterMs = Date.now() - killedAt;
    const next = (await shop.healthy()).find((i) => hostOf(i) !== masterHost)!;
    const promotedAt = Date.now();
    expect((await promote(hostOf(next), next.Service.ID)).code).to.equal(0);
    const nextMember = `${next.Service.Address}:${next.Service.Port}`;
    await waitFor(() => {
      const receiving = shop.traffic().receiving;
      return receiving.length === 1 && receiving[0] === nextMember;
    }, { timeoutMs: 20_000, message: 'BIG-IP traffic on the new master' });
    const newMasterMs = Date.now() - promotedAt;
    const until = samples + 10;
    await waitFor(() => samples >= until, { timeoutMs: 10_000, message: 'more role samples after the promote' });
    sampling = false;
    await sampler;
    figures.push(`master's host ${masterHost} killed: BIG-IP traffic on the slaves ${slavesAfterMs} ms after the kill; promote -> traffic on the new master ${newMasterMs} ms; ${samples} samples, two masters in ${violations.length}`);
    expect(violations).to.deep.equal([]);
    expect(samples).to.be.above(10);
  });

  it('scripts/jenkins host-drain and host-join of a swarm host: 0 failed requests', async () => {
    await shop.waitHealthy(REPLICAS, 60_000, 'a settled fleet before the drain');
    // Drain a host with instances (h1 or h2, whichever runs more).
    const tasks = shop.tasks();
    const name = ['h1', 'h2'].sort((a, b) => tasks.filter((t) => t.host === b).length - tasks.filter((t) => t.host === a).length)[0];
    const host = shop.host(name);
    const onHost = tasks.filter((t) => t.host === name).length;
    const env = { ...process.env, CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}`, DOCKER_HOST: host.dockerHost };
    const actionsBefore = shop.healerActions();
    const loop = startRequestLoop(shop.edge, SHOP, { maxRequests: 20_000, maxMs: 150_000, gapMs: 5 });
    const startedAt = Date.now();
    const drain = await host.runToExit('host-drain', join(SCRIPTS, 'host-drain'), ['--service', SHOP, '--min-passing', String(REPLICAS), '--swarm', '--timeout', '90s'], env);
    const drainedMs = Date.now() - startedAt;
    expect(drain.code, drain.output).to.equal(0);
    expect(shop.tasks().filter((t) => t.host === name), 'no task left on the drained host').to.deep.equal([]);
    await waitFor(() => !shop.nginxHosts().includes(name), { timeoutMs: 10_000, message: `${name} out of nginx` });
    const join_ = await host.runToExit('host-join', join(SCRIPTS, 'host-join'), ['--service', SHOP, '--swarm', '--timeout', '60s'], env);
    expect(join_.code, join_.output).to.equal(0);
    await shop.waitHealthy(REPLICAS, 30_000, `${REPLICAS} healthy after the join`);
    await moreSamples(loop, 50, 'requests after the join');
    const samples = await loop.stop();
    const failed = failuresBetween(samples, 0);
    const actions = sum(shop.healerActions(), actionsBefore);
    figures.push(`host-drain of ${name} (${onHost} tasks) + host-join: ${samples.length} requests, ${failed.length} failed; drained in ${drainedMs} ms; healer actions ${JSON.stringify(actions)}`);
    expect(failed.map((s) => `${s.at - startedAt} ms: ${s.status} ${s.body}`), 'failed requests').to.deep.equal([]);
    expect(samples.length).to.be.above(50);
    // Swarm moves the drained node's tasks; the healer adds nothing on top (a task in maintenance reads as starting for
    // its grace period when swarm moves drained tasks itself).
    expect(actions.raised, 'replicas raised cluster-wide').to.equal(0);
    expect(actions.replaced + actions.forced).to.equal(0);
  });
});
