import type { BroadcastSettings } from '../core/config.js';

/**
 * Segments the live playlist keeps: the DVR window (seconds viewers can seek back) in
 * segments, or the plain live window when that is longer or DVR is off.
 */
export function liveWindowSegments(
  settings: Pick<BroadcastSettings, 'liveWindow' | 'dvrWindowSeconds' | 'segmentSeconds'>,
): number {
  const dvr = Math.ceil(settings.dvrWindowSeconds / settings.segmentSeconds);
  return Math.max(settings.liveWindow, dvr);
}
