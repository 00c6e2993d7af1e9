// The compose project of web instances a fleet host runs: busybox httpd answering its container's host name,
// published on the host's address (a bridge network local to the host's engine, in the testbed's range), with the
// registrator labels that publish it and an HTTP check the host's own agent runs.

import { execFileSync } from 'node:child_process';
import type { TestbedHost } from '../testbed';

export interface WebProject {
  name: string;
  file: string;
}

export function webProjectYaml(options: { image: string; service: string; tags: readonly string[]; hostAddress: string; subnet: string }): string {
  return `version: "2.4"
services:
  web:
    image: ${options.image}
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["${options.hostAddress}::80"]
    restart: unless-stopped
    labels:
      SERVICE_NAME: "${options.service}"
      SERVICE_TAGS: "${options.tags.join(',')}"
      SERVICE_CHECK_HTTP: "/"
      SERVICE_CHECK_INTERVAL: "1s"
networks:
  default:
    driver_opts:
      com.docker.network.bridge.enable_ip_masquerade: "false"
    ipam:
      config: [{ subnet: "${options.subnet}" }]
`;
}

/** `docker-compose -p <project> -f <file> <args>` against the host's engine. */
export function composeOn(host: TestbedHost, project: WebProject, args: readonly string[]): string {
  return execFileSync('docker-compose', ['-p', project.name, '-f', project.file, ...args], {
    env: host.dockerEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

/** The busybox test image with a port exposed: swarm services on host networking have no --expose of their own. */
export function ensureExposingImage(baseImage: string, port: number): string {
  const tag = `consul-sidecars/busybox-expose-${port}:test`;
  try {
    execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
    return tag;
  } catch {
    execFileSync('docker', ['build', '-q', '-t', tag, '-'], { input: `FROM ${baseImage}\nEXPOSE ${port}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
    return tag;
  }
}
