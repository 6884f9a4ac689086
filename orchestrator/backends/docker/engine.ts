// The Docker engine as the docker backend sees it: a checked connection, the labels every resource
// of a run carries, and Docker API failures turned into our errors.
import Docker from 'dockerode';
import { SpinozaError } from '../../errors.js';

/** On every container and network of a run: `down` finds them by it, even without run.json. */
export const LABEL_RUN = 'spinoza.run';
/** On every node container: the node id it runs. */
export const LABEL_NODE = 'spinoza.node';
/** On a container `spinoza join` started instead: the joiner's k (its node id is not known until admitted). */
export const LABEL_JOINER = 'spinoza.joiner';
/** Which backend made the resource (compose makes its own, with other labels). */
export const LABEL_BACKEND = 'spinoza.backend';

export const runLabels = (runId: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> =>
  ({ ...extra, [LABEL_RUN]: runId, [LABEL_BACKEND]: 'docker' });

/** A `label` filter for list calls, e.g. `spinoza.run=sp-1234abcd`. */
export const labelFilter = (key: string, value: string): { label: string[] } => ({ label: [`${key}=${value}`] });

export const SETUP_HINT = 'start or install it with `bash docker/setup-engine.sh` (see docs/docker.md), or point DOCKER_HOST at an engine';

/** Where the client connects; docker-modem keeps it untyped. */
interface ModemAddress {
  socketPath?: string;
  host?: string;
  port?: number | string;
}
const addressOf = (docker: Docker): ModemAddress => docker.modem as unknown as ModemAddress;

/** A client of the engine that answered a ping within `timeoutMs`; else a `docker-unavailable` error. */
export async function connectEngine(docker: Docker = new Docker(), timeoutMs = 5_000): Promise<Docker> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
    return docker;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const a = addressOf(docker);
    const where = a.socketPath ?? `${a.host ?? '?'}:${a.port ?? '?'}`;
    if (code === 'EACCES') {
      throw new SpinozaError('docker-unavailable', `no permission to use the Docker engine at ${where}`,
        'run as root, or add your user to the `docker` group and log in again', { cause: e });
    }
    throw new SpinozaError('docker-unavailable', `the Docker engine at ${where} does not answer (${code ?? (e as Error).message})`,
      SETUP_HINT, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the engine runs on this machine (a unix socket): bind mounts and /proc then describe it. */
export const isLocalEngine = (docker: Docker): boolean => typeof addressOf(docker).socketPath === 'string';

/** The HTTP status of a failed Docker API call (404 no such object, 304 already in that state, 409 conflict). */
export const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

/** Runs `call`, treating "no such object" and "already so" as done: cleanup must be idempotent. */
export async function ignoreGone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (e) {
    const status = statusOf(e);
    // 409 "removal already in progress" also means someone else is removing it.
    if (status !== 404 && status !== 304 && status !== 409) throw e;
  }
}

/** A refused API call as a `docker-failed` error naming what we tried. */
export function dockerFailed(what: string, e: unknown, hint?: string): SpinozaError {
  if (e instanceof SpinozaError) return e;
  const json = (e as { json?: { message?: string } }).json;
  const message = json?.message ?? (e as Error).message ?? String(e);
  return new SpinozaError('docker-failed', `${what}: ${message.trim()}`, hint ?? 'see `docker info`; `spinoza down` removes what was started', { cause: e });
}
