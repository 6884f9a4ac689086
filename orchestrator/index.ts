// The orchestrator's programmatic API: what the CLI does, callable from tests and scripts.
export { up, type UpOptions, type UpResult } from './up.js';
export { down, type DownOptions, type DownResult } from './down.js';
export { status, nodeRole, type RunStatus, type NodeStatus, type NodeRole } from './status.js';
export { joinNodes, MAX_JOIN_COUNT, type JoinOptions, type JoinProgress, type JoinResult, type JoinedNode } from './join.js';
export { fetchDirectory, summarizeDirectories, type DirectorySnapshot, type DirectorySummary, type NodeDirectoryView } from './directory-view.js';
export { broadcast, connectRunClient, sendBroadcast, type BroadcastOptions, type RunBroadcastResult, type RunClient } from './broadcast.js';
export { verify, type VerifyOptions, type VerifyResult } from './verify.js';
export { report, type RunReport } from './report.js';
export { demo, demoBody, type DemoOptions, type DemoResult } from './demo.js';
export { openRun, pickEntryNode, type OpenRun } from './run.js';
export { SpinozaError, ERROR_CODES, type ErrorCode } from './errors.js';
export { Manifest, loadManifest, resolveManifest, parseManifestYaml, type ManifestOverrides, type BackendName } from './manifest.js';
export { buildGenesis, buildDirectory, selectRoles, networkId, nodeKey, clientKey, CLIENT_NAME, type Genesis, type Roles } from './genesis.js';
export { DEFAULT_HOME, runLayout, newRunId, currentRun, type RunLayout, type RunRecord } from './state.js';
export { backendFor, type Backend, type BackendRun, type UpProgress } from './backends/backend.js';
export { processBackend, type ProcessBackendOptions } from './backends/process.js';
export * from './impair/index.js';
export * from './chaos/index.js';
