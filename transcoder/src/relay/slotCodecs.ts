import type { CompositeJobData, RtpInput } from '@stagecast/protocol';
import { H264_FILLER_PAYLOAD, VP8_FILLER_PAYLOAD } from './fillers.js';
import { isH264KeyFrameStart, isVp8KeyFrameStart, type RtpHeader } from './rtp.js';

export type SlotKind = 'video' | 'audio';

/** How FFmpeg's SDP describes a slot (its `a=rtpmap` and `a=fmtp`). */
type SdpCodec = Pick<RtpInput, 'codec' | 'clockRate' | 'channels' | 'fmtp'>;

export interface VideoSlotCodec {
  kind: 'video';
  /** The codec's name as the stage snapshot and a bound feed say it, lowercase. */
  name: 'vp8' | 'h264';
  /** The payload type FFmpeg's SDP names (the relay rewrites every source to it). */
  payloadType: number;
  sdp: SdpCodec;
  /** One black key frame, a whole RTP payload: what the slot shows while it has no picture. */
  filler: Buffer;
  /** Where a decoder can start: a slot switches to a new source only at such a packet. */
  isKeyFrameStart: (packet: Uint8Array, header: RtpHeader) => boolean;
}

export interface AudioSlotCodec {
  kind: 'audio';
  name: 'opus';
  payloadType: number;
  sdp: SdpCodec;
}

export type SlotCodec = VideoSlotCodec | AudioSlotCodec;

export const SLOT_CODECS = {
  vp8: {
    kind: 'video',
    name: 'vp8',
    payloadType: 96,
    sdp: { codec: 'VP8', clockRate: 90000 },
    filler: VP8_FILLER_PAYLOAD,
    isKeyFrameStart: isVp8KeyFrameStart,
  },
  h264: {
    kind: 'video',
    name: 'h264',
    payloadType: 102,
    // Every WebRTC sender (and mediasoup's router) uses packetization-mode 1: FU-A and STAP-A.
    sdp: { codec: 'H264', clockRate: 90000, fmtp: 'packetization-mode=1' },
    filler: H264_FILLER_PAYLOAD,
    isKeyFrameStart: isH264KeyFrameStart,
  },
  opus: {
    kind: 'audio',
    name: 'opus',
    payloadType: 111,
    sdp: { codec: 'opus', clockRate: 48000, channels: 2 },
  },
} as const satisfies Record<string, SlotCodec>;

/**
 * The compositor's slots in FFmpeg's order (its SDP's m-lines, streams 0:v:k and 0:a:k): the
 * VP8 video slots, then the H.264 ones, then audio. A video slot's index is the same
 * everywhere (relay, SDP, filter graph, scene).
 */
export function slotCodecs(slots: CompositeJobData['slots']): Record<SlotKind, SlotCodec[]> {
  const times = (n: number, codec: SlotCodec) => Array<SlotCodec>(n).fill(codec);
  return {
    video: [...times(slots.video, SLOT_CODECS.vp8), ...times(slots.h264 ?? 0, SLOT_CODECS.h264)],
    audio: times(slots.audio, SLOT_CODECS.opus),
  };
}

/** Every video slot, whatever its codec: the tiles with a picture FFmpeg composites. */
export const videoSlotCount = (slots: CompositeJobData['slots']): number => slots.video + (slots.h264 ?? 0);
