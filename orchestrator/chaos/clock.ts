// The wall clock the chaos engine runs on; tests inject a fake one (STYLE.md §7).
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from './executor.js';

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    signal?.throwIfAborted();
    if (ms > 0) await delay(ms, undefined, signal ? { signal } : {});
  },
};
