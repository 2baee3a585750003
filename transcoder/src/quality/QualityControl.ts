import type { BroadcastQuality } from '@stagecast/protocol';
import { LiveGovernor } from './LiveGovernor.js';
import { needsRestart, qualitySteps, type QualityStep } from './quality.js';

/** A change of quality step the job must carry out. */
export interface QualityChange {
  /** `resync`: at the lowest step and still behind, a new FFmpeg at the same step drops the backlog. */
  direction: 'lower' | 'raise' | 'resync';
  step: QualityStep;
  /** The step needs a new FFmpeg (a preset, or a resync); otherwise it is a command to the running one. */
  restart: boolean;
  behindS: number;
  speed: number;
}

/**
 * The broadcast's quality step, chosen by the LiveGovernor from FFmpeg's progress: which
 * step the picture is at (and a new FFmpeg starts at), and what hosts are told about it.
 */
export class QualityControl {
  private readonly steps: QualityStep[];
  private index: number;
  private reason: string | null = null;
  private readonly governor = new LiveGovernor();

  /** `resumeLevel`: the step a previous process had reached (a takeover starts there). */
  constructor(frameRate: number, resumeLevel = 0) {
    this.steps = qualitySteps(frameRate);
    this.index = Math.min(Math.max(0, resumeLevel), this.steps.length - 1);
  }

  get step(): QualityStep {
    return this.steps[this.index] ?? this.steps[0]!;
  }

  get speed(): number {
    return this.governor.speed;
  }

  get behindS(): number {
    return this.governor.behindS;
  }

  /** A new FFmpeg run starts at `at` (its media time 0). */
  startRun(at: number): void {
    this.governor.startRun(at);
  }

  /** One progress report; a change when the step must move. */
  observe(outTimeMs: number, now: number): QualityChange | null {
    const verdict = this.governor.observe(outTimeMs, now, this.index, this.steps.length - 1);
    if (verdict === 'keep') return null;
    const { behindS, speed } = this.governor;
    if (verdict === 'resync') {
      this.reason = `the machine could not keep up even at the lowest quality: skipped ${behindS.toFixed(1)} s to be live again`;
      return { direction: verdict, step: this.step, restart: true, behindS, speed };
    }
    const from = this.step;
    // Far too slow (well under real time): one step would not be enough.
    const down = speed > 0 && speed < 0.6 ? 2 : 1;
    this.index = Math.min(this.steps.length - 1, Math.max(0, this.index + (verdict === 'lower' ? down : -1)));
    if (verdict === 'lower')
      this.reason = `the machine could not keep up (${behindS.toFixed(1)} s behind live)`;
    this.governor.stepped(now);
    return { direction: verdict, step: this.step, restart: needsRestart(from, this.step), behindS, speed };
  }

  /** What hosts are told about the current step. */
  describe(): BroadcastQuality {
    const step = this.step;
    return { level: step.level, frameRate: step.frameRate, reason: step.level === 0 ? null : this.reason };
  }
}
