// User-facing failures: one class, a stable code to match on, and a hint saying what to do (STYLE.md §4, §16).

export const ERROR_CODES = [
  'usage', // bad command line: unknown command/flag, missing argument
  'manifest-not-found',
  'manifest-invalid',
  'state-invalid', // a state-dir file is unreadable or of the wrong shape
  'port-in-use',
  'no-run', // no current run in the state dir
  'run-active', // `up` while another run is still up
  'unknown-node',
  'node-entry-missing', // dist/node/main.js not built
  'node-exited', // a node process died during `up`
  'node-unhealthy', // /health never answered in time
  'connect-failed', // could not open the client socket to a node
  'broadcast-rejected', // the entry node refused the submitted broadcast
  'proof-not-found',
  'proof-invalid',
  'delivery-incomplete', // demo: some live node missed some broadcast
  'timeout',
  'aborted', // Ctrl-C or an AbortSignal
  'not-implemented', // e.g. a backend that comes in a later milestone
  'docker-unavailable', // the Docker engine does not answer
  'docker-failed', // the engine refused a request (network, container) during `up` or `down`
  'image-build-failed',
  'insufficient-memory', // too little free memory for the nodes asked for
  'kernel-limit', // a kernel or daemon limit (bridge ports, neighbour table, fds, pids) would be hit
  'profile-invalid', // an impairment profile or `shape` argument that makes no sense
  'control-failed', // a node's /control endpoint refused or did not answer
  'probe-mismatch', // measured RTT/loss deviate from the applied profile beyond the tolerance
  'chaos-invalid', // a chaos profile or `chaos` argument that makes no sense, or a schedule that cannot fit
  'internal', // a bug: anything thrown that is not one of the above
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class SpinozaError extends Error {
  override readonly name = 'SpinozaError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the user can do about it; printed after the message. */
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The one line the CLI prints: `error[code]: message — hint`. */
  toLine(): string {
    return `error[${this.code}]: ${this.message}${this.hint ? ` — ${this.hint}` : ''}`;
  }
}

export const isSpinozaError = (e: unknown): e is SpinozaError => e instanceof SpinozaError;

/** Turns an AbortSignal's reason into our error, so every waiter fails the same way on Ctrl-C. */
export function abortError(signal: AbortSignal, what: string): SpinozaError {
  const reason: unknown = signal.reason;
  if (reason instanceof SpinozaError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new SpinozaError('timeout', `${what}: timed out`, undefined, { cause: reason });
  }
  return new SpinozaError('aborted', `${what}: aborted`, undefined, { cause: reason });
}
