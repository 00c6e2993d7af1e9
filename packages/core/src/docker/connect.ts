// A dockerode client from a DOCKER_HOST value or the environment.

import type Docker from 'dockerode';
import { dockerConnectionFromEnv, dockerodeOptions, parseDockerHost, type DockerConnection, type DockerHostOptions } from './docker-host';

export interface ConnectDockerOptions extends DockerHostOptions {
  /** Engine API version to pin, e.g. "v1.41". */
  version?: string;
  /** Request timeout in ms. */
  timeout?: number;
}

/** `connectDocker()` reads DOCKER_HOST from the environment; `connectDocker("ssh://ops@node2")` uses that host. */
export function connectDocker(host?: string | DockerConnection, options: ConnectDockerOptions = {}): Docker {
  const { version, timeout, ...hostOptions } = options;
  const conn = typeof host === 'object' ? host : host === undefined ? dockerConnectionFromEnv(options.env ?? process.env, hostOptions) : parseDockerHost(host, hostOptions);
  const extra: { version?: string; timeout?: number } = {};
  if (version) extra.version = version;
  if (timeout) extra.timeout = timeout;
  // dockerode (with ssh2, grpc-js and protobufjs: ~20 MiB at start) is loaded by the first caller, not by every importer of core.
  const DockerClass = require('dockerode') as typeof Docker;
  return new DockerClass(dockerodeOptions(conn, extra));
}
