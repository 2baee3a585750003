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
 * 20 ms of Opus silence: TOC 0xf8 (CELT full band, 20 ms, one frame) and the two bytes that
 * code an all-silent CELT frame, as WebRTC senders use for comfort silence.
 */
export const OPUS_SILENCE_PAYLOAD: Buffer = Buffer.from([0xf8, 0xff, 0xfe]);

/** Filler frames per second on a video slot: enough that the overlay never waits long. */
export const VIDEO_FILLER_FPS = 15;
/** Duration of one Opus filler packet (ms). */
export const AUDIO_FILLER_MS = 20;
