// The checker's user-facing failure: a stable code to match on and a hint saying what to do.
export type CheckerErrorCode = 'RUN_MISSING' | 'RUN_INVALID' | 'GENESIS_MISSING' | 'GENESIS_INVALID' | 'DIRECTORY_INVALID';

export class CheckerError extends Error {
  override readonly name = 'CheckerError';
  constructor(
    readonly code: CheckerErrorCode,
    message: string,
    readonly hint: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
