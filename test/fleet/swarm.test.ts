// A Docker swarm-mode service across the testbed's hosts, published by registrator on every host as an operator
// expects: the service's name from com.docker.swarm.service.name (unless SERVICE_NAME says otherwise), IDs stable
// per task, a task's container gone -> its Consul service gone; nginx on the edge serves every task.

import { expect } from 'chai';
import { waitFor } from '../../packages/core/src';
import { ensureBusyboxImage } from '../support/docker-images';
import { startEdge, type Edge } from '../support/fleet/edge';
import { Fleet } from '../support/fleet/fleet';
import { ensureExposingImage } from '../support/fleet/web-project';
import { formSwarm } from '../support/testbed/swarm';

const DETECTION_MS = 2_000;
const PORT = 8090;

interface CatalogInstance {
  ServiceID: string;
  ServiceName: string;
  ServiceAddress: string;
  ServicePort: number;
  Node: string;
}

describe('a swarm-mode service across hosts @integration', function () {
  this.timeout(240_000);
  let fleet: Fleet;
  let edge: Edge;

  const instances = async (service: string): Promise<CatalogInstance[]> =>
    (await (await fetch(`${fleet.consulUrl}/v1/catalog/service/${service}`)).json()) as CatalogInstance[];

  before(async () => {
    const image = ensureExposingImage(ensureBusyboxImage(), PORT);
    const images = [image, ensureExposingImage(ensureBusyboxImage(), PORT + 1)];
    fleet = await Fleet.start({ id: 'fsw', index: 8, workers: ['h1', 'h2', 'h3'], others: ['edge'], detectionMs: DETECTION_MS, images });
    formSwarm(fleet.bed, { hosts: ['h1', 'h2', 'h3'], managers: ['h1'] });
    for (const host of fleet.workers) fleet.startRegistrator(host);
    edge = await startEdge(fleet, fleet.host('edge'), { siteTag: 'swarm' });
    fleet.host('h1').docker([
      'service', 'create', '--detach', '--no-resolve-image', '--name', 'shop', '--network', 'host',
      '--replicas', '3', '--replicas-max-per-node', '1', '--restart-delay', '1s', '--stop-grace-period', '1s',
      '--container-label', 'SERVICE_TAGS=swarm', '--env', 'TASK={{.Task.Name}}',
      // On host networking every task has its node's host name: answer with the task's own name instead.
      image, 'sh', '-c', `mkdir -p /www && echo "$TASK" > /www/index.html && exec httpd -f -p ${PORT} -h /www`,
    ]);
  });

  after(async () => {
    if (!fleet) return;
    await fleet.stop();
    expect(fleet.bed.leftovers()).to.deep.equal([]);
  });

  it('registers every task under the swarm service name, on its own host, with an ID stable per task', async () => {
    const found = await waitFor(async () => {
      const list = await instances('shop');
      return list.length === 3 ? list : undefined;
    }, { timeoutMs: 60_000, message: 'three shop instances in Consul' });
    expect(found.map((i) => i.Node).sort()).to.deep.equal(['h1', 'h2', 'h3']);
    for (const instance of found) {
      expect(instance.ServiceAddress).to.equal(fleet.host(instance.Node).address);
      expect(instance.ServicePort).to.equal(PORT);
      // <host>:<task container name, which carries the task id>:<port>
      expect(instance.ServiceID).to.match(new RegExp(`^${instance.Node}:shop\\.\\d+\\.[a-z0-9]{25}:${PORT}$`));
    }
    await waitFor(() => edge.upstreamServers().length === 3, { timeoutMs: 20_000, message: 'three shop servers in nginx' });
    const answers = new Set<string>();
    await waitFor(async () => {
      for (let i = 0; i < 6; i++) {
        const reply = await edge.get('shop').catch(() => undefined);
        if (reply?.status === 200) answers.add(reply.body.trim());
      }
      return answers.size === 3;
    }, { timeoutMs: 15_000, message: 'every task answered through nginx' });
  });

  it("a task's container gone (scaled down) takes its Consul service with it; the others keep their IDs", async () => {
    const before = (await instances('shop')).map((i) => i.ServiceID).sort();
    fleet.host('h1').docker(['service', 'scale', '--detach', 'shop=2']);
    const after = await waitFor(async () => {
      const list = await instances('shop');
      return list.length === 2 ? list.map((i) => i.ServiceID).sort() : undefined;
    }, { timeoutMs: 30_000, message: 'two shop instances after scaling down' });
    for (const id of after) expect(before).to.include(id);
    await waitFor(() => edge.upstreamServers().length === 2, { timeoutMs: 20_000, message: 'two shop servers in nginx' });
  });

  it('SERVICE_NAME on the service still wins over the swarm service name', async () => {
    fleet.host('h1').docker([
      'service', 'create', '--detach', '--no-resolve-image', '--name', 'billing-v2', '--network', 'host', '--replicas', '1',
      '--container-label', 'SERVICE_NAME=billing', ensureExposingImage(ensureBusyboxImage(), PORT + 1),
      'sh', '-c', `mkdir -p /www && hostname > /www/index.html && exec httpd -f -p ${PORT + 1} -h /www`,
    ]);
    await waitFor(async () => (await instances('billing')).length === 1, { timeoutMs: 60_000, message: 'billing registered under its SERVICE_NAME' });
    expect(await instances('billing-v2')).to.deep.equal([]);
  });
});
