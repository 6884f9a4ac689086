// What a chaos session does to a node's unit: the backend's half of a fault (DESIGN.md §4, Chaos).
// Network faults (partitions, loss) go through the nodes' control endpoints and need no backend.
// process: SIGKILL / spawn / SIGSTOP / SIGCONT; docker: container kill / start / pause / unpause.

export interface FaultTarget {
  /** Stops node `id` at once, with no chance to clean up; resolves once it is gone. */
  kill(id: number): Promise<void>;
  /**
   * Starts a killed node again from its config (same id, key, port and event log) and records its new
   * unit (e.g. the pid in run.json); resolves once started. The caller waits for /health.
   */
  start(id: number): Promise<void>;
  /** Freezes node `id`: its sockets stay open, but it processes nothing until resumed. */
  pause(id: number): Promise<void>;
  resume(id: number): Promise<void>;
}
