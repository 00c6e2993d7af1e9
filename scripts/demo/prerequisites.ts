// What the demo needs on the machine, checked up front with a clear word on how to get what is missing.

import { execFileSync } from 'node:child_process';
import { MissingPrerequisite } from './narrator';

const SETUP = 'Run `bash scripts/setup-machine.sh` (Debian: installs docker.io, docker-compose, nginx-extras, busybox-static and starts dockerd).';

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

export function checkPrerequisites(): void {
  if (!works('docker', ['--version'])) throw new MissingPrerequisite('The docker command', SETUP);
  if (!works('docker', ['info'])) {
    throw new MissingPrerequisite('A running Docker engine', 'Start it (`dockerd &` as root, or `systemctl start docker`), or run `bash scripts/setup-machine.sh`.');
  }
  if (!works('docker-compose', ['version'])) throw new MissingPrerequisite('docker-compose (v1.29)', SETUP);
  if (!works('nginx', ['-v'])) throw new MissingPrerequisite('nginx', SETUP);
  if (!works('/bin/busybox', ['true'])) throw new MissingPrerequisite('busybox-static (for the demo web image)', SETUP);
}
