// Public surface of node/wire.
export * from './schemas.js';
export * from './verdict.js';
export * from './codec.js';
export * from './messages.js';
