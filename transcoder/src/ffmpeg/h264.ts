import type { Rendition } from '@stagecast/protocol';

/** What a rendition is encoded as, and how the master playlist announces it. */
export interface H264Profile {
  profile: 'high' | 'main';
  /** x264 `-level` value, e.g. `3.1`. */
  level: string;
  /** RFC 6381 string for CODECS, matching the SPS x264 writes for this profile and level. */
  codecs: string;
}

// Max frame size (macroblocks) and max macroblock rate per H.264 level (Table A-1).
const LEVELS: readonly { level: string; idc: number; maxFs: number; maxMbps: number }[] = [
  { level: '3.0', idc: 30, maxFs: 1620, maxMbps: 40500 },
  { level: '3.1', idc: 31, maxFs: 3600, maxMbps: 108000 },
  { level: '3.2', idc: 32, maxFs: 5120, maxMbps: 216000 },
  { level: '4.0', idc: 40, maxFs: 8192, maxMbps: 245760 },
  { level: '4.2', idc: 42, maxFs: 8704, maxMbps: 522240 },
  { level: '5.1', idc: 51, maxFs: 36864, maxMbps: 983040 },
];

const hex = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * High for 720p and up (better quality per bit), Main below (older phones), at the lowest
 * level that holds the picture size and rate. The CODECS bytes are profile_idc,
 * constraint flags as x264 writes them (Main sets constraint_set1), and level_idc.
 */
export function h264Profile(rendition: Pick<Rendition, 'width' | 'height'>, frameRate: number): H264Profile {
  const frameMbs = Math.ceil(rendition.width / 16) * Math.ceil(rendition.height / 16);
  const level =
    LEVELS.find((l) => frameMbs <= l.maxFs && frameMbs * frameRate <= l.maxMbps) ?? LEVELS[LEVELS.length - 1];
  if (!level) throw new Error('no H.264 level');
  const high = rendition.height >= 720;
  return {
    profile: high ? 'high' : 'main',
    level: level.level,
    codecs: `avc1.${high ? '6400' : '4d40'}${hex(level.idc)},mp4a.40.2`,
  };
}
