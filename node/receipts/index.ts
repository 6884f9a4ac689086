// Public surface of node/receipts.
export * from './verify.js';
