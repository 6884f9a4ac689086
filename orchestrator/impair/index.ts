// Public surface of orchestrator/impair: apply a profile to a running testnet, probe it, and the
// pieces the CLI and the manifest use.
export { applyProfile, controlTarget, shapeCommand, type ApplyOptions, type ShapeResult, type ShapeCommandOptions } from './shape.js';
export { probe, assertProbe, evaluateProbe, expectPair, samplePairs, PROBE_TOLERANCE, type ProbeOptions, type ProbeResult, type PairFigures, type ImpairmentMode } from './probe.js';
export { parseShapeArgs, parseDuration, parsePercent, parseRate, SHAPE_OPTIONS, type ShapeArgs, type ShapeRequest } from './args.js';
export { ImpairmentSection, ProfileName, resolveProfile, checkedProfile, initialProfile } from './profiles.js';
export { ImpairmentRecord, IMPAIRMENT_FILE, readImpairmentRecord, writeImpairmentRecord } from './record.js';
export { applyInitialImpairment } from './initial.js';
export { putImpairment, getImpairment, pingFrom, type ControlTarget } from './control.js';
export { formatShape, formatProbe, describeProfile } from './format.js';
