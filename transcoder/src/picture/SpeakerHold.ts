/**
 * The speaker the picture follows. A new voice takes the large tile only after holding the
 * floor for `holdMs`, so a cough or a short reply does not swap the picture back and forth.
 */
export class SpeakerHold {
  private current: string | null = null;
  private candidate: string | null = null;
  private candidateSince = 0;

  constructor(private readonly holdMs: number) {}

  /** The speaker to show, given the one ingest reports now. */
  follow(reported: string | null, onStage: ReadonlySet<string>, now: number): string | null {
    if (this.current !== null && !onStage.has(this.current)) this.current = null;
    if (reported === null || reported === this.current || !onStage.has(reported)) {
      this.candidate = null;
      return this.current;
    }
    // Nobody shown yet: no reason to wait.
    if (this.current === null) {
      this.current = reported;
      this.candidate = null;
      return this.current;
    }
    if (this.candidate !== reported) {
      this.candidate = reported;
      this.candidateSince = now;
    }
    if (now - this.candidateSince >= this.holdMs) {
      this.current = reported;
      this.candidate = null;
    }
    return this.current;
  }

  /** When a pending speaker would take over (to look again then), or null. */
  get pendingUntil(): number | null {
    return this.candidate === null ? null : this.candidateSince + this.holdMs;
  }
}
