/**
 * Collapses many "something changed" calls per key into at most one `flush` per interval:
 * the first call of a quiet key starts a timer, later calls before it fires ride along.
 * Used where one event per change would fan out to a whole room (votes, reactions).
 */
export class Throttle {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: (key: string) => void,
  ) {}

  schedule(key: string): void {
    if (this.closed || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.flush(key);
    }, this.intervalMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Drops a pending flush (its news went out another way). */
  cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
