// Shared test plumbing: start a stand-in, an axios client that verifies TLS against its CA, polling with deadlines.
import axios, { type AxiosInstance } from 'axios';
import { Agent } from 'node:https';
import { startBigipStandin, type BigipStandin, type BigipStandinOptions } from '../src/index';

export interface Harness {
  standin: BigipStandin;
  /** Basic-auth client (admin/admin) that never throws on HTTP status. */
  api: AxiosInstance;
  /** A client with no credentials. */
  anonymous: AxiosInstance;
}

export function clientFor(standin: BigipStandin, extra: { auth?: { username: string; password: string }; headers?: Record<string, string> } = {}): AxiosInstance {
  return axios.create({
    baseURL: standin.url,
    httpsAgent: standin.caPem ? new Agent({ ca: standin.caPem }) : undefined,
    validateStatus: () => true,
    ...extra,
  });
}

export async function startHarness(options: BigipStandinOptions = {}): Promise<Harness> {
  const standin = await startBigipStandin(options);
  return {
    standin,
    api: clientFor(standin, { auth: { username: 'admin', password: 'admin' } }),
    anonymous: clientFor(standin),
  };
}

/** Polls `check` until it returns true; fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const POOL = '/mgmt/tm/ltm/pool';
export const poolUrl = (name: string, partition = 'Common') => `${POOL}/~${partition}~${name}`;
export const membersUrl = (pool: string) => `${poolUrl(pool)}/members`;
export const memberUrl = (pool: string, member: string) => `${membersUrl(pool)}/~Common~${member}`;
