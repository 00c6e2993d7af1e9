// The demo: the suite on loopback, with real requests, told step by step. Cleans up on exit and on Ctrl-C.

import { createConsulClient, consulSettingsFromEnv, waitFor } from '../../packages/core/src';
import { chapter, MissingPrerequisite, say, show } from './narrator';
import { startDaemon, stopAll } from './processes';
import { freePort } from '../../test/support/ports';

async function consulAgent(): Promise<string> {
  if (process.env.CONSUL_HTTP_ADDR) {
    say(`using the Consul agent at CONSUL_HTTP_ADDR=${process.env.CONSUL_HTTP_ADDR}`);
    return process.env.CONSUL_HTTP_ADDR;
  }
  const port = await freePort();
  const standin = startDaemon('consul-standin', 'consul-standin', ['--port', String(port), '--node', 'demo-node']);
  const address = `http://127.0.0.1:${port}`;
  await waitFor(() => standin.output().includes(String(port)), { timeoutMs: 10_000, message: 'the Consul stand-in to start' });
  say(`no CONSUL_HTTP_ADDR given: started the Consul stand-in at ${address}`);
  return address;
}

async function main(): Promise<void> {
  chapter('A Consul agent');
  const address = await consulAgent();
  const consul = createConsulClient(consulSettingsFromEnv({ ...process.env, CONSUL_HTTP_ADDR: address }));

  chapter('Register a service and read it back, as every daemon does');
  await consul.agent.service.register({ id: 'demo-web-1', name: 'demo-web', address: '127.0.0.1', port: 8080, tags: ['demo', 'master'], check: { ttl: '30s', status: 'passing' } } as never);
  const instances = (await consul.health.service({ service: 'demo-web', passing: true })) as Array<{ Service: { ID: string; Address: string; Port: number; Tags: string[] }; Checks: Array<{ CheckID: string; Status: string }> }>;
  show('GET /v1/health/service/demo-web?passing', instances.map((i) => ({ id: i.Service.ID, address: `${i.Service.Address}:${i.Service.Port}`, tags: i.Service.Tags, checks: i.Checks.map((c) => `${c.CheckID}=${c.Status}`) })));
  await consul.agent.service.deregister('demo-web-1');
  say('deregistered demo-web-1');
}

let cleaning = false;
async function cleanup(code: number): Promise<never> {
  if (!cleaning) {
    cleaning = true;
    await stopAll();
  }
  process.exit(code);
}

process.on('SIGINT', () => void cleanup(130));
process.on('SIGTERM', () => void cleanup(143));

main()
  .then(() => {
    chapter('Done');
    say('everything the demo started has been stopped');
    return cleanup(0);
  })
  .catch((err: unknown) => {
    if (err instanceof MissingPrerequisite) console.error(`\ndemo: ${err.message}`);
    else console.error(`\ndemo failed: ${err instanceof Error ? err.stack : String(err)}`);
    return cleanup(1);
  });
