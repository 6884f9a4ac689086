// A token bucket that reserves rather than refuses: each frame learns when it may leave, and frames
// queue behind earlier reservations (FIFO), so the long-run throughput is exactly the rate.

export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param rate bytes per second
   * @param burst bytes that may leave at once after an idle period
   */
  constructor(readonly rate: number, readonly burst: number, now: number) {
    if (!(rate > 0) || !(burst > 0)) throw new RangeError('token bucket: rate and burst must be > 0');
    this.tokens = burst;
    this.last = now;
  }

  /** Takes `bytes` from the bucket (possibly into debt); returns the time (ms) at which they may leave. */
  reserve(bytes: number, now: number): number {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
    this.tokens -= bytes;
    return this.tokens >= 0 ? now : now + (-this.tokens * 1000) / this.rate;
  }
}
