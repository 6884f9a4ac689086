// Public surface of node/impairment: profiles and the pure link function (for the orchestrator's
// probe, manifest and kernel-mode plan), the userspace shaper, and the probe's result shape.
export * from './profile.js';
export { Shaper, realClock, DEFAULT_SHAPER_OPTIONS, type Clock, type ShaperOptions, type ShaperDeps } from './shaper.js';
export { TokenBucket } from './token-bucket.js';
export { seededRandom } from './random.js';
export { DEFAULT_PING_OPTIONS, type PingOptions, type PingResult } from './ping.js';
export type { ImpairmentState } from './controller.js';
export type { ControlErrorCode } from './routes.js';
