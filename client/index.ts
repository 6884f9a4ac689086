// Public surface of the trusted client.
export { SpinozaClient, connectClient, type ClientOptions, type BroadcastOptions, type BroadcastResult, type WaitOptions } from './client.js';
export { ClientError, type ClientErrorCode } from './errors.js';
export { summarizeProof, percentile, type DeliverySummary, type LatencyMs } from './summary.js';
