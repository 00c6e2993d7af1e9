// Observe: what templates read from Consul. One file per query kind behind the QueryKind interface, and the
// pool that runs one blocking watcher per distinct dependency.

export * from './consul-data';
export * from './dependency';
export * from './health-status';
export * from './service';
export * from './services';
export * from './nodes';
export * from './key';
export * from './tree';
export * from './kinds';
export * from './watcher-pool';
export * from './node';
export * from './datacenters';
export * from './file';
export * from './unknown-datacenter';
export * from './feed-queries';
export * from './shared-values';
