// Port preflight: every directory port must be free before a run starts, dead nodes' ports included
// (a stranger answering on a dead node's port would make it "alive").
import { createServer } from 'node:net';
import { SpinozaError } from './errors.js';
import { mapLimit } from './health.js';

/** True when `port` on `host` can be bound right now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortsFree(host: string, ports: readonly number[]): Promise<void> {
  const free = await mapLimit(ports, 32, (p) => isPortFree(host, p));
  const busy = ports.filter((_, i) => !free[i]);
  if (busy.length === 0) return;
  const list = busy.slice(0, 5).join(', ') + (busy.length > 5 ? ` and ${busy.length - 5} more` : '');
  throw new SpinozaError('port-in-use', `port${busy.length > 1 ? 's' : ''} ${list} on ${host} already in use`,
    'stop the other run (`spinoza down`) or the program using it, or pick other ports with --base-port');
}
