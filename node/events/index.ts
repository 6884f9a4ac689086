// Public surface of node/events.
export * from './schema.js';
export * from './sink.js';
