// An agent's own services and checks (what was registered through its API) kept in its data dir
// and restored at start, as Consul's agent persists them: a restarted agent comes back with its
// services. Written before the registering request is answered, by an atomic rename, so a killed
// agent finds the last complete state.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Catalog, CheckRecord, CheckRegistration, ServiceDefinition } from './catalog';

interface PersistedState {
  services: { definition: ServiceDefinition; checks: CheckRegistration[] }[];
  checks: CheckRegistration[];
}

const FILE_NAME = 'local-state.json';

function registrationOf(check: CheckRecord): CheckRegistration {
  const { checkId, name, notes, status, serviceId, type, definition } = check;
  return { checkId, name, notes, status, serviceId, type, definition };
}

export class LocalStateFile {
  readonly file: string;

  constructor(dataDir: string, private readonly catalog: Catalog) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, FILE_NAME);
  }

  /** Registers what the file holds; returns how many services it restored. A missing file is an empty state. */
  restore(): number {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let state: PersistedState;
    try {
      state = JSON.parse(text) as PersistedState;
      if (!Array.isArray(state.services) || !Array.isArray(state.checks)) throw new Error('services and checks must be lists');
    } catch (err) {
      throw new Error(`${this.file}: not a saved agent state: ${(err as Error).message}`);
    }
    for (const service of state.services) this.catalog.registerService(service.definition, service.checks, false);
    for (const check of state.checks) this.catalog.registerCheck(check);
    return state.services.length;
  }

  save(): void {
    const local = [...this.catalog.checks.values()].filter((c) => c.agentLocal);
    const state: PersistedState = {
      services: [...this.catalog.services.values()].filter((s) => s.agentLocal).map((service) => {
        const { id, name, kind, tags, address, port, meta, taggedAddresses, enableTagOverride, weights } = service;
        return {
          definition: { id, name, kind, tags, address, port, meta, taggedAddresses, enableTagOverride, weights },
          checks: local.filter((c) => c.serviceId === id).map(registrationOf),
        };
      }),
      checks: local.filter((c) => c.serviceId === '').map(registrationOf),
    };
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state));
    renameSync(temporary, this.file);
  }
}

/** The node ID kept in the data dir (Consul's data_dir/node-id), made on first use. */
export function persistentNodeId(dataDir: string, fresh: () => string): string {
  const file = path.join(dataDir, 'node-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const id = fresh();
  writeFileSync(file, id);
  return id;
}
