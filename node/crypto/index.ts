// Public surface of node/crypto.
export * from './ed25519.js';
export * from './canonical.js';
