// Public surface of node/membership: registration with a testnet authority (docs/compose.md).
export * from './authority.js';
export * from './schema.js';
export * from './credential.js';
export { Registry, DEFAULT_REGISTRY_OPTIONS, type RegistryOptions, type RegistryGenesis, type RegisterVerdict } from './registry.js';
export { buildRegisterRequest, fetchRegistrarHealth, fetchSignedDirectory, register, JoinError, type Registration } from './join.js';
export { followDirectory, DEFAULT_FOLLOW_OPTIONS, type FollowOptions } from './follow.js';
export { startJoinedNode, type JoinedNode, type JoinedNodeConfig } from './joined-node.js';
export { startRegistrar, type RegistrarConfig, type RunningRegistrar } from './registrar.js';
export { registrarMemorySink, registrarNdjsonSink, type RegistrarSink } from './registrar-events.js';
export * from './quorum.js';
export { FailureDetector, type DetectorOptions, type DetectorAction, type DetectorEvent, type DetectorOutput, type MemberState } from './detector.js';
export * from './accusations.js';
export { checkAdmission, issueCredential, makeAdmission, nextNodeId, type AdmissionVerdict } from './admission.js';
export { enrol, followChain, JoinRefusedError, type EnrolOptions, type Enrolled } from './enrol.js';
export { MembershipService, type JoinOutcome, type JoinRefusal } from './service.js';
