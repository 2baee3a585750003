/**
 * What an empty slot carries, so that no FFmpeg input ever waits and holds up the picture.
 *
 * The video filler is one black 160x90 VP8 key frame (57 bytes), made with
 * `ffmpeg -f lavfi -i color=black:s=160x90 -frames:v 1 -c:v libvpx -b:v 50k -f ivf black.ivf`
 * (the frame is the IVF file after its 32-byte file header and 12-byte frame header). Every
 * filler frame is a key frame, so a decoder can start on any of them.
 */
const BLACK_VP8_KEY_FRAME = Buffer.from(
  'UAUAnQEqoABaAABHCIWFiIWEiAICAAYoDwh1VJruIdVSa7iHVUmu4h1VJruIdVSa7iG8AP7/q1CA',
  'base64',
);

/** RFC 7741 payload descriptor: start of partition 0 (S=1, PID=0), no extensions. */
const VP8_DESCRIPTOR = Buffer.from([0x10]);

/** One RTP payload: the whole black frame fits in one packet. */
export const VP8_FILLER_PAYLOAD: Buffer = Buffer.concat([VP8_DESCRIPTOR, BLACK_VP8_KEY_FRAME]);

/**
 * The H.264 video filler: one black 160x90 constrained-baseline IDR frame with its SPS and
 * PPS (95 bytes, no SEI), made with
 * `ffmpeg -f lavfi -i color=black:s=160x90 -frames:v 1 -c:v libx264 -profile:v baseline
 * -preset ultrafast -bsf:v filter_units=remove_types=6 -f h264 black.h264` (an Annex B
 * stream: each NAL unit after a start code). Every filler frame carries its parameter sets,
 * so a decoder can start on any of them, and a source's own SPS before it changes nothing.
 */
const BLACK_H264_ANNEX_B = Buffer.from(
  'AAAAAWdCwAvaCjfkwEQAAAMABAAAAwDIPFCqgAAAAAFozg/IAAABZYiEOiYoAAkCycnJycnJycnJ111111111111111111111111111111111111111111111111114=',
  'base64',
);

/** The NAL units of an Annex B stream (3- or 4-byte start codes). */
export function annexBUnits(stream: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] !== 0 || stream[i + 1] !== 0 || stream[i + 2] !== 1) continue;
    if (start >= 0) units.push(stream.subarray(start, stream[i - 1] === 0 ? i - 1 : i));
    start = i + 3;
    i += 2;
  }
  if (start >= 0) units.push(stream.subarray(start));
  return units;
}

/**
 * One RTP payload (RFC 6184 §5.7.1 STAP-A: every unit with its 16-bit size), NRI the highest
 * of its units: SPS, PPS and the IDR slice in one packet that decodes on its own.
 */
export function stapA(units: readonly Buffer[]): Buffer {
  const nri = Math.max(...units.map((u) => (u[0] ?? 0) & 0x60));
  const parts = units.flatMap((u) => [Buffer.from([u.length >> 8, u.length & 0xff]), u]);
  return Buffer.concat([Buffer.from([nri | 24]), ...parts]);
}

export const H264_FILLER_PAYLOAD: Buffer = stapA(annexBUnits(BLACK_H264_ANNEX_B));

/**
 * 20 ms of Opus silence: TOC 0xf8 (CELT full band, 20 ms, one frame) and the two bytes that
 * code an all-silent CELT frame, as WebRTC senders use for comfort silence.
 */
export const OPUS_SILENCE_PAYLOAD: Buffer = Buffer.from([0xf8, 0xff, 0xfe]);

/** Filler frames per second on a video slot: enough that the overlay never waits long. */
export const VIDEO_FILLER_FPS = 15;
/** Duration of one Opus filler packet (ms). */
export const AUDIO_FILLER_MS = 20;
