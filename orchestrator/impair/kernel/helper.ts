// Kernel mode's privileged helper (docs/impairment.md#kernel): a short-lived container that joins a node
// container's network namespace (`NetworkMode: container:<id>`) with NET_ADMIN and runs a tc plan. The node
// image stays unprivileged; the helper carries the run label (so `spinoza down` finds a leftover) and is
// removed in a finally.
import type Docker from 'dockerode';
import { SpinozaError } from '../../errors.js';
import { LOCAL_BASE_IMAGE } from '../../backends/docker/image.js';
import { ignoreGone, LABEL_RUN, runLabels } from '../../backends/docker/engine.js';
import type { TcArgv, TcPlan } from './plan.js';

/** On every helper container, next to the run label. */
export const LABEL_ROLE = 'spinoza.role';
export const HELPER_ROLE = 'impair-helper';

export interface HelperOptions {
  docker: Docker;
  /** Run id for the labels. */
  runId: string;
  /** An image with iproute2 (tc) and sh. Default: the node base image, spinoza/node-base:local. */
  image?: string;
  /** Extra labels (the test suite adds spinoza.test=<owner>). */
  labels?: Record<string, string>;
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface HelperResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One argument for `sh`: single-quoted, a `'` inside as `'\''`. */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('shQuote: NUL byte in argument');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export const shCommand = (argv: TcArgv): string => argv.map(shQuote).join(' ');

/** The plan as one sh script: stops at the first failing command and names it on stderr. */
export function planScript(plan: TcPlan): string {
  const lines = [
    'run() { "$@" || { rc=$?; echo "spinoza-tc: failed (exit $rc): $*" >&2; exit $rc; }; }',
    `shown=$(tc qdisc show dev ${shQuote(plan.dev)}) || exit 1`,
  ];
  if (plan.onlyIfInstalled) {
    // The ensure steps' marker is our root; a node without it has nothing to clear.
    lines.push(`case "$shown" in *${shQuote('qdisc htb 1: root')}*) ;; *) echo 'spinoza-tc: no kernel impairment installed'; exit 0 ;; esac`);
  }
  for (const e of plan.ensure) lines.push(`case "$shown" in *${shQuote(e.present)}*) ;; *) run ${shCommand(e.argv)} ;; esac`);
  for (const argv of plan.commands) lines.push(`run ${shCommand(argv)}`);
  return lines.join('\n') + '\n';
}

/** Runs `script` with sh in a helper container on `networkMode` (`container:<id>` or `none`). */
export async function runHelper(o: HelperOptions, networkMode: string, script: string): Promise<HelperResult> {
  const container = await o.docker.createContainer({
    Image: o.image ?? LOCAL_BASE_IMAGE,
    Entrypoint: ['sh', '-c', script],
    Cmd: [],
    User: '0',
    Labels: { ...runLabels(o.runId, o.labels), [LABEL_ROLE]: HELPER_ROLE },
    HostConfig: { NetworkMode: networkMode, CapAdd: ['NET_ADMIN'], AutoRemove: false },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await container.start();
    const timeoutMs = o.timeoutMs ?? 30_000;
    const waited = await Promise.race([
      container.wait() as Promise<{ StatusCode: number }>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SpinozaError('docker-failed', `the tc helper did not finish within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const logs = await container.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
    const { stdout, stderr } = demux(Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs)));
    return { exitCode: waited.StatusCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
    await ignoreGone(() => container.remove({ force: true }));
  }
}

/** Applies a plan inside node container `container` (id or name); throws with tc's stderr on failure. */
export async function applyPlan(o: HelperOptions, container: string, plan: TcPlan): Promise<HelperResult> {
  const r = await runHelper(o, `container:${container}`, planScript(plan));
  if (r.exitCode !== 0) {
    throw new SpinozaError('docker-failed', `tc in ${container} failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      'see docs/impairment.md#kernel; `spinoza shape --clear` puts every link back to unshaped');
  }
  return r;
}

/** `tc qdisc show dev <dev>` (and classes, filters with `what`) inside a node container, through a helper. */
export async function showTc(o: HelperOptions, container: string, what: 'qdisc' | 'class' | 'filter' = 'qdisc', dev = 'eth0'): Promise<string> {
  const r = await runHelper(o, `container:${container}`, shCommand(['tc', what, 'show', 'dev', dev]));
  if (r.exitCode !== 0) throw new SpinozaError('docker-failed', `tc ${what} show in ${container} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Helpers of a run that are still there (a crashed apply), for `down` and tests. */
export const helperFilter = (runId: string): { label: string[] } => ({ label: [`${LABEL_RUN}=${runId}`, `${LABEL_ROLE}=${HELPER_ROLE}`] });

/** Splits Docker's multiplexed log stream (8-byte frame headers) into stdout and stderr. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const kind = buf[at]!;
    const size = buf.readUInt32BE(at + 4);
    if (kind > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) return { stdout: buf.toString('utf8'), stderr: '' };
    const chunk = buf.subarray(at + 8, at + 8 + size);
    (kind === 2 ? err : out).push(chunk);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
