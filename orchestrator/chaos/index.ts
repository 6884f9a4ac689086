// Public surface of orchestrator/chaos: seeded fault schedules, their execution against a running
// testnet (with a workload), and the `spinoza chaos` command (docs/chaos.md).
export { ChaosProfile, ChaosSection, BUILTIN_CHAOS_PROFILES, resolveChaosProfile, type ChaosProfileInput } from './profile.js';
export { planSchedule, fits, maxOverlap, type Schedule, type ScheduleInput, type PlannedFault, type FaultKind, type PartitionMode } from './schedule.js';
export { networkProfiles, partitionGrudges, partitionBlocks } from './compose.js';
export { FaultRecord, FAULT_LOG, appendFault, readFaultLog, parseFaultLog, faultLabel, type FaultLog } from './fault-log.js';
export { executeSchedule, type Clock, type NetworkControl, type ExecutorDeps, type ExecutorEvent, type Execution } from './executor.js';
export { startWorkload, type Workload, type WorkloadOptions, type WorkloadStats, type BroadcastSender } from './workload.js';
export { waitSettled, DeliveredTail, type SettleOptions, type SettleResult, type SettleProgress } from './settle.js';
export { planChaos, type ChaosPlan, type PlanOptions } from './plan.js';
export { chaos, type ChaosOptions, type ChaosProgress, type ChaosResult } from './session.js';
export { chaosCommand, type ChaosCommandOptions, type ChaosCommandJson } from './command.js';
export { parseChaosArgs, parseSpan, CHAOS_OPTIONS, type ChaosArgs } from './args.js';
export { formatChaos, formatProgress, formatSchedule, replayCommand } from './format.js';
export { realClock } from './clock.js';
