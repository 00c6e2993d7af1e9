// "A Consul to test against": the real agent at CONSUL_HTTP_ADDR when set, else an in-process stand-in.
// Suites use `onlyStandin(this, why)` to skip what only the stand-in can check (fast clocks, restarts).

import type { Context } from 'mocha';
import { consulSettingsFromEnv, createConsulClient, consulBaseUrl, type ConsulClient, type ConsulSettings } from '../../packages/core/src';
import { startConsulStandin } from '../../packages/consul-standin/src';

export interface TestConsul {
  settings: ConsulSettings;
  url: string;
  client: ConsulClient;
  /** True when this is the in-process stand-in (so it can be stopped, restarted, sped up). */
  isStandin: boolean;
  /** Stand-in only: stops it (the port is kept for `restart`). */
  stop(): Promise<void>;
  /** Stand-in only: starts it again on the same port, empty, as an agent restarted without state. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const realAgent = Boolean(process.env.CONSUL_HTTP_ADDR);

type StandinOptions = Parameters<typeof startConsulStandin>[0];

export async function startTestConsul(options: StandinOptions = {}): Promise<TestConsul> {
  if (realAgent) {
    const settings = consulSettingsFromEnv(process.env);
    const client = createConsulClient(settings);
    const unsupported = async () => {
      throw new Error('a real agent cannot be stopped or restarted by the tests');
    };
    return { settings, url: consulBaseUrl(settings), client, isStandin: false, stop: unsupported, restart: unsupported, close: async () => undefined };
  }
  let standin = await startConsulStandin({ ...options, port: options?.port ?? 0 });
  const port = standin.port;
  const settings = consulSettingsFromEnv({ CONSUL_HTTP_ADDR: `http://127.0.0.1:${port}` });
  let running = true;
  return {
    settings,
    url: `http://127.0.0.1:${port}`,
    client: createConsulClient(settings),
    isStandin: true,
    async stop() {
      if (running) await standin.stop();
      running = false;
    },
    async restart() {
      if (running) await standin.stop();
      standin = await startConsulStandin({ ...options, port });
      running = true;
    },
    async close() {
      if (running) await standin.stop();
      running = false;
    },
  };
}

/** Skips the running test against a real agent, saying why only the stand-in can check it. */
export function onlyStandin(context: Context, why: string): void {
  if (realAgent) {
    context.test!.title += ` (stand-in only: ${why})`;
    context.skip();
  }
}
