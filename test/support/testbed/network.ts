// The testbed's wires: one bridge in the root namespace (no address: the /24 exists only between the hosts), a
// namespace per host with a veth into the bridge, and the FORWARD rule the main engine's DROP policy needs.

import { existsSync } from 'node:fs';
import type { BedLayout, HostLayout } from './layout';
import { attempt, run, runInNetns } from './system';

export function forwardRule(bridge: string): string[] {
  return ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'];
}

export function createBridge(bed: BedLayout): void {
  run('ip', ['link', 'add', bed.bridge, 'type', 'bridge']);
  run('ip', ['link', 'set', bed.bridge, 'up']);
  // Bridged frames pass iptables' FORWARD chain (br_netfilter), whose policy the main dockerd sets to DROP.
  if (!attempt('iptables', ['-C', ...forwardRule(bed.bridge)])) run('iptables', ['-I', ...forwardRule(bed.bridge)]);
}

export function createHostNetwork(bed: BedLayout, host: HostLayout): void {
  run('ip', ['netns', 'add', host.netns]);
  run('ip', ['link', 'add', host.rootLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
  run('ip', ['link', 'set', host.rootLink, 'master', bed.bridge, 'up']);
  runInNetns(host.netnsPath, 'ip', ['addr', 'add', `${host.address}/${bed.prefixLength}`, 'dev', 'eth0']);
  runInNetns(host.netnsPath, 'ip', ['link', 'set', 'eth0', 'up']);
  runInNetns(host.netnsPath, 'ip', ['link', 'set', 'lo', 'up']);
}

/** Cuts the host off the bridge: its processes keep running and its loopback answers, nothing crosses. */
export function cutLink(host: HostLayout): void {
  run('ip', ['link', 'set', host.rootLink, 'down']);
}

export function restoreLink(host: HostLayout): void {
  run('ip', ['link', 'set', host.rootLink, 'up']);
}

export function linkIsUp(host: HostLayout): boolean {
  return /state UP|,UP[,>]/.test(run('ip', ['-o', 'link', 'show', host.rootLink]));
}

export function removeHostNetwork(host: HostLayout): void {
  attempt('ip', ['link', 'del', host.rootLink]);
  if (existsSync(host.netnsPath)) attempt('ip', ['netns', 'del', host.netns]);
}

export function removeBridge(bridge: string): void {
  while (attempt('iptables', ['-D', ...forwardRule(bridge)])) {
    // a rule inserted twice is removed twice
  }
  attempt('ip', ['link', 'del', bridge]);
}
