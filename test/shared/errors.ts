// The SpinozaError a call throws, so tests can match on its code and hint (never on message text).
import { SpinozaError } from '../../orchestrator/errors.js';

/** Fails the test if `fn` does not throw a SpinozaError. */
export function errorOf(fn: () => unknown): SpinozaError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpinozaError) return e;
    throw e;
  }
  throw new Error('expected a SpinozaError');
}
