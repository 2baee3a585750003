/** Timings of one broadcast (ms); tests may shorten them. */
export const JOB_TIMINGS = {
  tick: 250,
  /** A new speaker takes the large tile after holding the floor this long. */
  speakerHold: 2000,
  /** No new frame for this long: FFmpeg is restarted. */
  stall: 6000,
  /** The same for a new FFmpeg that has not shown its first frame yet. */
  firstFrame: 15000,
  /** Waiting for the first stage snapshot before starting with the slate. */
  firstStage: 1500,
  /** How often ingest is asked who is on stage, to notice that nobody holds the room any more. */
  stageRequest: 30000,
  progress: 1000,
};
