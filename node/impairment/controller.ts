// What impairment is in effect on this node: a new profile is validated against the directory first
// (nothing changes on a bad one), then its shaper replaces the transport's and the change is logged.
// The mode is always `userspace` here; kernel mode (tc in the node's namespace) lives outside the node.
import type { Directory } from '../directory/directory.js';
import type { EventSink } from '../events/sink.js';
import { assignRegions, isNoop, parseProfile, type ImpairmentProfile, type ProfileCheck } from './profile.js';
import { Shaper, type Clock, type ShaperOptions } from './shaper.js';

export interface ImpairmentState {
  mode: 'userspace';
  /** The profile in effect, or null when none is. */
  profile: ImpairmentProfile | null;
  /** When it took effect (ms since the epoch), or null. */
  since: number | null;
  /** This node's region under the profile, if it has regions. */
  region: string | null;
}

export interface ImpairmentControllerDeps {
  self: number;
  directory: () => Directory;
  /** Puts a shaper in the transport's path (null: none, the fast path). */
  install(shaper: Shaper | null): void;
  events: EventSink;
  /** Wall clock for `since`. */
  now: () => number;
  /** Shaper clock and draws (tests). */
  clock?: Clock;
  random?: () => number;
  shaperOptions?: ShaperOptions;
}

export class ImpairmentController {
  private state: ImpairmentState = { mode: 'userspace', profile: null, since: null, region: null };

  constructor(private readonly deps: ImpairmentControllerDeps) {}

  get current(): ImpairmentState {
    return this.state;
  }

  /** Applies a profile, or clears with null. A profile naming unknown nodes or regions changes nothing. */
  apply(input: unknown): ProfileCheck | { ok: true; value: null } {
    if (input === null) {
      this.deps.install(null);
      this.state = { mode: 'userspace', profile: null, since: this.deps.now(), region: null };
      this.deps.events.emit({ ev: 'impairment', mode: 'userspace', profile: null });
      return { ok: true, value: null };
    }
    const dir = this.deps.directory();
    const ids = dir.data.nodes.map((n) => n.id);
    const check = parseProfile(input, new Set(ids));
    if (!check.ok) return check;
    const profile = check.value;
    const regions = assignRegions(profile, ids);
    const { self, clock, random, shaperOptions } = this.deps;
    this.deps.install(isNoop(profile) ? null : new Shaper(
      { self, profile, regionOf: (id) => regions.get(id), ...(clock && { clock }), ...(random && { random }) },
      shaperOptions,
    ));
    this.state = { mode: 'userspace', profile, since: this.deps.now(), region: regions.get(self) ?? null };
    this.deps.events.emit({ ev: 'impairment', mode: 'userspace', profile });
    return check;
  }
}
