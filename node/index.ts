// Public surface of node/: what client/ and orchestrator/ may import.
export * from './crypto/index.js';
export * from './wire/index.js';
export * from './directory/index.js';
export * from './events/index.js';
export * from './receipts/index.js';
export * from './membership/index.js';
export * from './config.js';
export { startNode, type RunningNode, type NodeDeps } from './node.js';
export { planFor, type Plan, type PlanInput } from './broadcast/plan.js';
