// core/concurrency: bounded maps, a semaphore, a serial queue and two single-flight runners.

export * from './map-limit';
export * from './semaphore';
export * from './serial-queue';
export * from './coalescing-runner';
export * from './keyed-single-flight';
