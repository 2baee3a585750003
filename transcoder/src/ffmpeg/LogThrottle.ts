/** A line that repeats more often than this is written once per window, with a count. */
const WINDOW_MS = 60_000;

/**
 * Keeps FFmpeg's log readable and small. Some warnings come once per frame (a slot that
 * switched sources logs "Changing video frame properties on the fly" on every frame it
 * passes on: about 130 MB an hour at 9 tiles), so a line already written in the last minute
 * is only counted; the next time it is written, the count goes with it.
 */
export class LogThrottle {
  private readonly seen = new Map<string, { writtenAt: number; skipped: number }>();

  constructor(private readonly windowMs = WINDOW_MS) {}

  /** The text to write for `line` (with a trailing newline), or null to skip it. */
  filter(line: string, now: number): string | null {
    // Filter instances differ only by their address: `[graph 0 input from stream 0:3 @ 0x55d…]`.
    const key = line.replace(/0x[0-9a-f]+/g, '');
    const entry = this.seen.get(key);
    if (entry && now - entry.writtenAt < this.windowMs) {
      entry.skipped++;
      return null;
    }
    const note = entry && entry.skipped > 0 ? ` (and ${entry.skipped} more like it since the last)` : '';
    this.seen.set(key, { writtenAt: now, skipped: 0 });
    // A long run logs many distinct lines (times, sequence numbers): forget the old ones.
    if (this.seen.size > 500) {
      for (const [k, v] of this.seen) if (now - v.writtenAt >= this.windowMs) this.seen.delete(k);
    }
    return `${line}${note}\n`;
  }
}
