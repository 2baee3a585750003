/** Timings of one broadcast (ms); tests may shorten them. */
export const JOB_TIMINGS = {
  tick: 250,
  /** Stage snapshots are gathered this long before the layout changes. */
  debounce: 300,
  /** A speaker-only change waits until the newest session is this old (restarts cost a hiccup). */
  speakerRestart: 4000,
  /** No new frame for this long: the session is restarted. */
  stall: 6000,
  /** A replacement session that has not produced a segment in this long is given up. */
  replaceTimeout: 15000,
  /** How long the old session may take to catch up to the replacement's first segment. */
  handoffWait: 8000,
  /** Waiting for the first stage snapshot before showing the slate. */
  firstStage: 2000,
  bindTimeout: 8000,
  emptyBindTimeout: 1500,
  /** How often ingest is asked who is on stage, to notice that nobody holds the room any more. */
  stageRequest: 30000,
  progress: 1000,
};
