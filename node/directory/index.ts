// Public surface of node/directory.
export * from './schema.js';
export * from './directory.js';
export * from './neighborhoods.js';
