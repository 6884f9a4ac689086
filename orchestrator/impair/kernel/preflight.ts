// Kernel mode's preflight and mode selection (docs/impairment.md#kernel): a helper in a throwaway network
// namespace (`NetworkMode: none`, NET_ADMIN) tries the qdiscs a plan needs on `lo`. Kernel mode runs only
// where all of them work on the docker backend; everywhere else the profile goes to the node transport
// (userspace mode), and the record always says which ran.
import { runHelper, type HelperOptions } from './helper.js';

export interface KernelPreflight {
  /** NET_ADMIN works in the helper (a pfifo on lo could be installed). */
  privileged: boolean;
  /** sch_htb. */
  htb: boolean;
  /** sch_netem. */
  netem: boolean;
  /** u32 filters into a blackhole class (partitions and per-destination classes). */
  filters: boolean;
  /** What each step said (tc's errors included), or why the helper could not run. */
  detail: string;
}

const STEPS: readonly (readonly [keyof Omit<KernelPreflight, 'detail'>, string])[] = [
  ['privileged', 'tc qdisc add dev lo root handle 1: pfifo && tc qdisc del dev lo root'],
  ['htb', 'tc qdisc add dev lo root handle 1: htb default 1'],
  ['filters', 'tc class add dev lo parent 1: classid 1:2 htb rate 10gbit quantum 60000 && tc qdisc add dev lo parent 1:2 handle 2: blackhole'
    + ' && tc filter add dev lo parent 1: protocol ip prio 1 handle 800::1 u32 match ip dst 127.0.0.2/32 flowid 1:2'],
  ['netem', 'tc qdisc del dev lo root 2>/dev/null; tc qdisc add dev lo root netem delay 1ms'],
];

/** The script: one `step=<exit code>` line per step on stdout, tc's own words prefixed on stderr. */
export const preflightScript = (): string =>
  // dash has no pipefail: each step's status is taken before its output is piped anywhere.
  STEPS.map(([key, cmd]) => `out=$( ( ${cmd} ) 2>&1 ); rc=$?; [ -n "$out" ] && printf '%s\\n' "$out" | sed 's/^/${key}: /' >&2; echo "${key}=$rc"`).join('\n');

/** Reads the helper's output; a step is ok only when it printed `step=0`. */
export function parsePreflight(stdout: string, stderr: string): KernelPreflight {
  const ok = (key: string): boolean => new RegExp(`^${key}=0$`, 'm').test(stdout);
  const flags = { privileged: ok('privileged'), htb: ok('htb'), filters: ok('filters'), netem: ok('netem') };
  const detail = Object.entries(flags).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join(', ')
    + (stderr.trim() ? ` (${stderr.trim().split('\n').join('; ')})` : '');
  return { ...flags, detail };
}

/** Runs the preflight; a helper that cannot start (no image, engine error) is `privileged: false`. */
export async function kernelPreflight(o: HelperOptions): Promise<KernelPreflight> {
  try {
    const r = await runHelper(o, 'none', preflightScript());
    return parsePreflight(r.stdout, r.stderr);
  } catch (e) {
    return { privileged: false, htb: false, netem: false, filters: false, detail: `the tc helper could not run: ${(e as Error).message}` };
  }
}

export type KernelModeChoice = { mode: 'kernel' | 'userspace'; reason: string };

/** Kernel mode only on the docker backend with every kernel piece and the privileges; else userspace. */
export function selectImpairmentMode(backend: string, pre: KernelPreflight | null): KernelModeChoice {
  if (backend !== 'docker') return { mode: 'userspace', reason: `the ${backend} backend has no per-node network namespace to shape` };
  if (pre === null) return { mode: 'userspace', reason: 'kernel mode not tried' };
  const missing = [
    ...(!pre.privileged ? ['NET_ADMIN in the helper'] : []),
    ...(!pre.htb ? ['sch_htb'] : []),
    ...(!pre.netem ? ['sch_netem'] : []),
    ...(!pre.filters ? ['u32 filters/blackhole'] : []),
  ];
  return missing.length === 0
    ? { mode: 'kernel', reason: 'sch_netem, sch_htb, u32 and NET_ADMIN available' }
    : { mode: 'userspace', reason: `kernel mode unavailable (missing ${missing.join(', ')}): applied by the node transport` };
}
