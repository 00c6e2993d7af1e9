// Where the Docker engine is: DOCKER_HOST with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the docker CLI reads them.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DockerConnection {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** DOCKER_HOST (unix:// or tcp://, with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH); default /tmp/docker.sock as gliderlabs, else /var/run/docker.sock. */
export function dockerConnectionFromEnv(env: NodeJS.ProcessEnv = process.env): DockerConnection {
  const host = env.DOCKER_HOST;
  if (!host) return { socketPath: existsSync('/tmp/docker.sock') ? '/tmp/docker.sock' : '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const url = new URL(host.replace(/^tcp:\/\//, 'http://'));
  const tls = Boolean(env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') || url.protocol === 'https:';
  const connection: DockerConnection = { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http' };
  if (tls && env.DOCKER_CERT_PATH) {
    connection.ca = readFileSync(join(env.DOCKER_CERT_PATH, 'ca.pem'));
    connection.cert = readFileSync(join(env.DOCKER_CERT_PATH, 'cert.pem'));
    connection.key = readFileSync(join(env.DOCKER_CERT_PATH, 'key.pem'));
  }
  return connection;
}
