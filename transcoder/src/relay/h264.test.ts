import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { annexBUnits, H264_FILLER_PAYLOAD, stapA } from './fillers.js';
import { buildRtp, isH264KeyFrameStart, stapAUnits } from './rtp.js';
import { KEY_FRAME_RETRY_MS } from './RtpSlot.js';
import { SLOT_CODECS } from './slotCodecs.js';
import {
  T0,
  h264,
  H264_PARAMETER_SETS,
  H264_IDR_START,
  H264_IDR_MIDDLE,
  H264_INTER,
  h264Video,
  header,
  expectContinuous,
} from './testFixtures.js';

const keyFrameStart = (payload: number[]): boolean => {
  const packet = h264(1, 0, payload);
  return isH264KeyFrameStart(packet, header(packet));
};
/** The NAL unit types of a STAP-A payload, in order. */
const stapTypes = (payload: Buffer): number[] => stapAUnits(payload).map((u) => u[0]! & 0x1f);
/** A STAP-A's units as an Annex B stream (a start code before each). */
const annexB = (payload: Buffer): Buffer =>
  Buffer.concat(stapAUnits(payload).flatMap((u) => [Buffer.from([0, 0, 0, 1]), u]));

describe('isH264KeyFrameStart (RFC 6184)', () => {
  it('a single NAL unit: an IDR slice or an SPS, nothing else', () => {
    expect(keyFrameStart([0x65, 0x88, 0x84])).toBe(true);
    expect(keyFrameStart([0x67, 0x42, 0xc0])).toBe(true);
    expect(keyFrameStart(H264_INTER)).toBe(false);
    expect(keyFrameStart([0x68, 0xce])).toBe(false); // a PPS alone
    expect(keyFrameStart([0x06, 0x05])).toBe(false); // SEI
  });

  it('a STAP-A with an SPS (or an IDR slice) among its units', () => {
    expect(keyFrameStart(H264_PARAMETER_SETS)).toBe(true);
    expect(keyFrameStart([0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88])).toBe(true);
    expect(keyFrameStart([0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x41, 0x9a])).toBe(false);
    // A size running past the packet is not read beyond it.
    expect(keyFrameStart([0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x09, 0x67])).toBe(false);
    expect(keyFrameStart([0x78])).toBe(false);
  });

  it('an FU-A: only the first fragment of an IDR slice', () => {
    expect(keyFrameStart(H264_IDR_START)).toBe(true);
    expect(keyFrameStart(H264_IDR_MIDDLE)).toBe(false);
    expect(keyFrameStart([0x7c, 0x81, 0x9a])).toBe(false); // first fragment of a non-IDR slice
    expect(keyFrameStart([0x7c])).toBe(false);
  });

  it('an empty payload', () => {
    const packet = buildRtp(
      { payloadType: 125, marker: true, sequence: 1, timestamp: 0, ssrc: 1 },
      Buffer.alloc(0),
    );
    expect(isH264KeyFrameStart(packet, header(packet))).toBe(false);
  });
});

describe('the H.264 filler', () => {
  it('is one STAP-A of SPS, PPS and an IDR slice, under one MTU', () => {
    expect(H264_FILLER_PAYLOAD[0]! & 0x1f).toBe(24);
    expect(stapTypes(H264_FILLER_PAYLOAD)).toEqual([7, 8, 5]);
    expect(H264_FILLER_PAYLOAD.length).toBeLessThan(1200);
    const packet = buildRtp(
      { payloadType: 102, marker: true, sequence: 1, timestamp: 0, ssrc: 1 },
      H264_FILLER_PAYLOAD,
    );
    expect(isH264KeyFrameStart(packet, header(packet))).toBe(true);
  });

  it('decodes (real FFmpeg) to one black 160x90 frame', () => {
    const frame = execFileSync(
      'ffmpeg',
      ['-v', 'error', '-f', 'h264', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
      { input: annexB(H264_FILLER_PAYLOAD) },
    );
    expect(frame.length).toBe(160 * 90);
    expect(Math.max(...frame)).toBeLessThanOrEqual(20);
  });

  it('stapA and annexBUnits are each other’s reverse', () => {
    const units = [Buffer.from([0x67, 1, 2]), Buffer.from([0x68, 3]), Buffer.from([0x65, 4, 5, 6])];
    const payload = stapA(units);
    expect(payload[0]).toBe(0x78);
    expect(stapTypes(payload)).toEqual([7, 8, 5]);
    const annexB = Buffer.concat(
      units.flatMap((u, i) => [Buffer.from(i === 0 ? [0, 0, 0, 1] : [0, 0, 1]), u]),
    );
    expect(annexBUnits(annexB)).toEqual(units);
  });
});

describe('RtpSlot with H.264', () => {
  it('idle: H.264 filler key frames on the slot’s payload type', () => {
    const h = h264Video();
    h.run(T0 + 1000);
    expect(h.sent.length).toBeGreaterThanOrEqual(14);
    for (const packet of h.raw) {
      const hd = header(packet);
      expect(hd.payloadType).toBe(SLOT_CODECS.h264.payloadType);
      expect(packet.subarray(hd.payloadOffset)).toEqual(H264_FILLER_PAYLOAD);
    }
    expectContinuous(h.sent);
  });

  it('switches to a source at its SPS, never at an inter frame or the middle of an IDR slice', () => {
    const h = h264Video();
    h.run(T0 + 200);
    // Assigning asks for a key frame (ingest sends the consumer a PLI), and again while it waits.
    expect(h.assign('cam', T0 + 200).wantKeyFrame).toBe(true);
    expect(h.packet('cam', h264(10, 9000, H264_INTER), T0 + 210).packets).toEqual([]);
    expect(h.packet('cam', h264(11, 9000, H264_IDR_MIDDLE, false), T0 + 220).packets).toEqual([]);
    expect(h.tick(T0 + 200 + KEY_FRAME_RETRY_MS).wantKeyFrame).toBe(true);
    const sps = h.packet('cam', h264(20, 12000, H264_PARAMETER_SETS, false), T0 + 1300);
    expect(sps.becameLive).toBe(true);
    expect(sps.packets).toHaveLength(1);
    // The rest of the key frame follows, rewritten onto the slot's stream.
    expect(h.packet('cam', h264(21, 12000, H264_IDR_START, false), T0 + 1301).packets).toHaveLength(1);
    expect(h.packet('cam', h264(22, 12000, H264_IDR_MIDDLE), T0 + 1302).packets).toHaveLength(1);
    expect(h.packet('cam', h264(23, 15000, H264_INTER), T0 + 1330).packets).toHaveLength(1);
    expectContinuous(h.sent);
    expect(new Set(h.sent.map((s) => s.payloadType))).toEqual(new Set([SLOT_CODECS.h264.payloadType]));
  });
});
