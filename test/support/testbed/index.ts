// The multi-host testbed: hosts as network namespaces with their own Docker engines, for tests, benches and the demo.
export { Testbed, TestbedHost, type TestbedOptions } from './testbed';
export { planBedLayout, TESTBED_PREFIX, type BedLayout, type HostLayout } from './layout';
export { testbedLeftovers, sweepOrphanedBeds } from './sweep';
export type { Relay } from './port-relay';
