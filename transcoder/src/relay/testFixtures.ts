import { expect } from 'vitest';
import { buildRtp, parseRtp, type RtpHeader } from './rtp.js';
import { RtpSlot, type SlotOutput } from './RtpSlot.js';
import { SLOT_CODECS } from './slotCodecs.js';

/** Packets and a driver for the RtpSlot tests: time is passed in, as the relay passes it. */

export const T0 = 1_000_000;
export const VIDEO_PT = 96;
export const AUDIO_PT = 111;

/** A source's VP8 packet: descriptor S=1 PID=0, then a frame header byte (P bit 0 = key frame). */
export const vp8 = (seq: number, ts: number, frame: 'key' | 'inter', ssrc = 0x5eed): Buffer =>
  buildRtp(
    { payloadType: 101, marker: true, sequence: seq, timestamp: ts, ssrc },
    Buffer.from([0x10, frame === 'key' ? 0x9c : 0x9d, 0x01, 0x2a]),
  );
/** The middle of a VP8 frame (S bit clear). */
export const vp8Cont = (seq: number, ts: number): Buffer =>
  buildRtp(
    { payloadType: 101, marker: false, sequence: seq, timestamp: ts, ssrc: 0x5eed },
    Buffer.from([0x00, 0x9c, 0x00]),
  );
/** A source's H.264 packet around `payload` (RFC 6184: a NAL unit, a STAP-A or an FU-A). */
export const h264 = (seq: number, ts: number, payload: number[], marker = true): Buffer =>
  buildRtp({ payloadType: 125, marker, sequence: seq, timestamp: ts, ssrc: 0x264 }, Buffer.from(payload));
/** SPS (7) and PPS (8) in one STAP-A, as WebRTC senders send them before an IDR. */
export const H264_PARAMETER_SETS = [0x78, 0x00, 0x03, 0x67, 0x42, 0xc0, 0x00, 0x02, 0x68, 0xce];
/** The first and a later fragment (FU-A) of an IDR slice (5), and a single non-IDR slice (1). */
export const H264_IDR_START = [0x7c, 0x85, 0x88, 0x84];
export const H264_IDR_MIDDLE = [0x7c, 0x05, 0x21, 0x43];
export const H264_INTER = [0x41, 0x9a, 0x02, 0x11];

export const opus = (seq: number, ts: number, ssrc = 0xa0d10): Buffer =>
  buildRtp(
    { payloadType: 100, marker: false, sequence: seq, timestamp: ts, ssrc },
    Buffer.from([0x78, seq & 0xff, 0x33]),
  );

export function header(packet: Buffer): RtpHeader {
  const h = parseRtp(packet);
  if (!h) throw new Error('not RTP');
  return h;
}
export const headers = (out: SlotOutput): RtpHeader[] => out.packets.map(header);
export const only = (out: SlotOutput): RtpHeader => {
  expect(out.packets).toHaveLength(1);
  return header(out.packets[0]!);
};
export const seqStep = (a: RtpHeader, b: RtpHeader): number => (b.sequence - a.sequence) & 0xffff;
export const tsStep = (a: RtpHeader, b: RtpHeader): number => (b.timestamp - a.timestamp) >>> 0;

/** Drives a slot and records everything it sends. */
export class Harness {
  readonly sent: RtpHeader[] = [];
  readonly raw: Buffer[] = [];
  now: number;

  constructor(readonly slot: RtpSlot) {
    this.now = T0;
  }

  private take(out: SlotOutput): SlotOutput {
    this.raw.push(...out.packets);
    this.sent.push(...headers(out));
    return out;
  }
  tick(at = this.now): SlotOutput {
    this.now = at;
    return this.take(this.slot.tick(at));
  }
  /** Ticks every `stepMs` until `until` (as the relay does every 20 ms); returns what they sent. */
  run(until: number, stepMs = 20): RtpHeader[] {
    const from = this.sent.length;
    for (let t = this.now + stepMs; t <= until; t += stepMs) this.tick(t);
    this.now = until;
    return this.sent.slice(from);
  }
  packet(feedId: string, packet: Buffer, at = this.now): SlotOutput {
    this.now = at;
    return this.take(this.slot.onPacket(feedId, packet, at));
  }
  assign(feedId: string | null, at = this.now): SlotOutput & { changed: boolean } {
    this.now = at;
    const out = this.slot.assign(feedId, at);
    this.take(out);
    return out;
  }
  last(): RtpHeader {
    const h = this.sent.at(-1);
    if (!h) throw new Error('nothing sent');
    return h;
  }
}

export const video = () => new Harness(new RtpSlot(SLOT_CODECS.vp8, T0));
export const audio = () => new Harness(new RtpSlot(SLOT_CODECS.opus, T0));
export const h264Video = () => new Harness(new RtpSlot(SLOT_CODECS.h264, T0));

/** Every packet one step after the one before: sequence +1, timestamp never back. */
export function expectContinuous(sent: RtpHeader[]): void {
  for (let i = 1; i < sent.length; i++) {
    expect(seqStep(sent[i - 1]!, sent[i]!), `packet ${i}`).toBe(1);
    expect(tsStep(sent[i - 1]!, sent[i]!), `packet ${i}`).toBeLessThan(2 ** 31);
  }
}
