/** x264 presets the steps use, fastest last. */
export type X264Preset = 'superfast' | 'ultrafast';

/** Keep every `frameStep`-th frame of the picture: 1 (all), 2 (half) or 3 (a third). */
export type FrameStep = 1 | 2 | 3;

/** How one FFmpeg run encodes: each step down costs less CPU and keeps every rung. */
export interface QualityStep {
  level: number;
  /** Frames per second on air (the broadcast's rate divided by `frameStep`). */
  frameRate: number;
  frameStep: FrameStep;
  /** Preset of the top rung. */
  topPreset: X264Preset;
  /** Preset of the other rungs. */
  lowerPreset: X264Preset;
}

/**
 * The steps, full quality first. Rungs are never dropped: a player on any rung keeps its
 * playlist. Full quality is superfast on the top rung and ultrafast below (measured: a quarter
 * less CPU than veryfast/superfast for 0.7 dB PSNR on 720p, still above 40 dB; the lower rungs
 * are seen small).
 *
 * The frame rate goes first: it halves the picture's whole cost (overlays, text, scaling and
 * every encoder) and is a command to the running FFmpeg (`framestep` filters switched on and
 * off), so viewers see fewer frames but no break. Only the last step changes a preset, which
 * takes a new FFmpeg (one discontinuity).
 */
export function qualitySteps(frameRate: number): QualityStep[] {
  const at = (frameStep: FrameStep) => ({ frameStep, frameRate: Math.round(frameRate / frameStep) });
  return [
    { level: 0, ...at(1), topPreset: 'superfast', lowerPreset: 'ultrafast' },
    { level: 1, ...at(2), topPreset: 'superfast', lowerPreset: 'ultrafast' },
    { level: 2, ...at(3), topPreset: 'superfast', lowerPreset: 'ultrafast' },
    { level: 3, ...at(3), topPreset: 'ultrafast', lowerPreset: 'ultrafast' },
  ];
}

/** Whether going from step `a` to `b` takes a new FFmpeg (presets are fixed for a run). */
export function needsRestart(a: QualityStep, b: QualityStep): boolean {
  return a.topPreset !== b.topPreset || a.lowerPreset !== b.lowerPreset;
}
