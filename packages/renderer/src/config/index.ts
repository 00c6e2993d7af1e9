// The renderer's configuration: the file's schema, the flags, every default in one place, the typed result.

export * from './types';
export * from './defaults';
export * from './schema';
export * from './values';
export * from './resolve';
export * from './flags';
