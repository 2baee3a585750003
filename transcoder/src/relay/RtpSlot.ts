import { randomInt } from 'node:crypto';
import { AUDIO_FILLER_MS, OPUS_SILENCE_PAYLOAD, VIDEO_FILLER_FPS } from './fillers.js';
import { buildRtp, parseRtp, rewriteRtp } from './rtp.js';
import type { SlotCodec, SlotKind } from './slotCodecs.js';

export type { SlotKind } from './slotCodecs.js';

/** A live source that sent nothing for this long is treated as gone: filler resumes. */
export const QUIET_MS = 600;
/**
 * A slot that heard nothing (no tick, no packet) for longer than this was in a stalled process
 * (a busy machine), not abandoned by its source: that time does not count towards QUIET_MS,
 * since the source's packets of that moment are still in the socket buffer.
 */
export const STALL_MS = 100;
/** While a video slot waits for its source's key frame, it asks again this often. */
export const KEY_FRAME_RETRY_MS = 1000;

/** What one step of a slot asks the relay to do. */
export interface SlotOutput {
  /** Packets to send to FFmpeg, in order. */
  packets: Buffer[];
  /** The source's first usable packet went out: the slot shows it from now on. */
  becameLive?: boolean;
  /** The source stopped sending (or a restart needs a fresh decoder start). */
  wentQuiet?: boolean;
  /** Ask the source for a key frame. */
  wantKeyFrame?: boolean;
}

const NONE: SlotOutput = { packets: [] };

/** Whether 16-bit sequence number `a` comes after `b`. */
const seqAfter = (a: number, b: number): boolean => ((a - b) & 0xffff) !== 0 && ((a - b) & 0xffff) < 0x8000;

/**
 * One fixed FFmpeg input: one SSRC, sequence numbers and timestamps that never jump back,
 * whoever the source is. Pure (time is passed in), so every switch is unit-tested.
 *
 * Timestamps follow the wall clock across switches: each slot maps wall time to RTP time by
 * one fixed anchor, and a new source's first packet is mapped to the wall time it arrives, so
 * all slots stay on one timeline (no lead builds up over many switches) and the composite's
 * PROGRAM-DATE-TIME stays the capture time. A video source is taken only from
 * a key frame on (a decoder cannot start anywhere else); until then, and whenever the slot is
 * empty, it sends filler: black key frames of the slot's codec, or Opus silence.
 */
export class RtpSlot {
  readonly ssrc = randomInt(1, 2 ** 32 - 1);
  private feedId: string | null = null;
  private state: 'filler' | 'waiting' | 'live' = 'filler';
  private lastSeq = randomInt(0, 0xffff);
  /** RTP time at wall time `anchorWall`: the slot's fixed clock. */
  private readonly anchorTs = randomInt(0, 2 ** 31);
  private readonly anchorWall: number;
  /** The newest timestamp sent (unwrapped: it may pass 2^32; the wire value wraps). */
  private lastTs: number;
  /** When the next video filler frame is due: a cadence, so 20 ms ticks still give 15 fps. */
  private nextFillerAt: number;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSourceAt = 0;
  private lastKeyFrameAsk = 0;
  /** The last tick or packet: the process was running then. */
  private lastStepAt: number;

  constructor(
    /** What FFmpeg's SDP says this slot carries. */
    readonly codec: SlotCodec,
    now: number,
  ) {
    this.anchorWall = now;
    this.nextFillerAt = now;
    this.lastStepAt = now;
    this.lastTs = this.anchorTs;
  }

  get kind(): SlotKind {
    return this.codec.kind;
  }

  get clockRate(): number {
    return this.codec.sdp.clockRate;
  }

  /** The feed this slot shows, or null (filler). */
  get source(): string | null {
    return this.feedId;
  }

  /** The source's media goes out (not filler). */
  get live(): boolean {
    return this.state === 'live';
  }

  /** Puts a feed (or nothing) into the slot; true when that changed anything. */
  assign(feedId: string | null, now: number): SlotOutput & { changed: boolean } {
    if (feedId === this.feedId) return { ...NONE, changed: false };
    this.feedId = feedId;
    this.state = feedId === null ? 'filler' : 'waiting';
    this.lastKeyFrameAsk = now;
    return { packets: [], changed: true, wantKeyFrame: feedId !== null && this.kind === 'video' };
  }

  /**
   * FFmpeg restarted: its decoders start afresh, so a video source must be taken again from
   * its next key frame (filler until then). Audio needs no such start.
   */
  resync(now: number): SlotOutput {
    if (this.kind !== 'video' || this.state !== 'live') return NONE;
    this.state = 'waiting';
    this.lastKeyFrameAsk = now;
    return { packets: [], wantKeyFrame: true };
  }

  /** A packet from a feed: rewritten for FFmpeg, or dropped (another feed, or no key frame yet). */
  onPacket(feedId: string, packet: Uint8Array, now: number): SlotOutput {
    this.stepAt(now);
    if (feedId !== this.feedId || this.state === 'filler') return NONE;
    const header = parseRtp(packet);
    if (!header) return NONE;
    let becameLive = false;
    if (this.state === 'waiting') {
      if (this.codec.kind === 'video' && !this.codec.isKeyFrameStart(packet, header)) return NONE;
      const frame = this.kind === 'video' ? 90000 / 30 : (48000 * AUDIO_FILLER_MS) / 1000;
      const target = Math.max(this.clockTs(now), this.lastTs + frame);
      this.tsOffset = target - header.timestamp;
      this.seqOffset = this.lastSeq + 1 - header.sequence;
      this.state = 'live';
      becameLive = true;
    }
    this.lastSourceAt = now;
    const sequence = (header.sequence + this.seqOffset) & 0xffff;
    const timestamp = header.timestamp + this.tsOffset;
    // A late (reordered) packet goes out as it is; only newer ones move the slot on.
    if (becameLive || seqAfter(sequence, this.lastSeq)) {
      this.lastSeq = sequence;
      this.lastTs = timestamp;
    }
    return {
      packets: [
        rewriteRtp(packet, {
          payloadType: this.codec.payloadType,
          sequence,
          timestamp: timestamp >>> 0,
          ssrc: this.ssrc,
        }),
      ],
      becameLive,
    };
  }

  /** Called every few ms: filler that is due, a live source that went quiet, key frame retries. */
  tick(now: number): SlotOutput {
    this.stepAt(now);
    if (this.state === 'live') {
      if (now - this.lastSourceAt <= QUIET_MS) return NONE;
      this.state = 'waiting';
      this.lastKeyFrameAsk = now;
      return { packets: this.filler(now), wentQuiet: true, wantKeyFrame: this.kind === 'video' };
    }
    const wantKeyFrame =
      this.state === 'waiting' && this.kind === 'video' && now - this.lastKeyFrameAsk >= KEY_FRAME_RETRY_MS;
    if (wantKeyFrame) this.lastKeyFrameAsk = now;
    return { packets: this.filler(now), wantKeyFrame };
  }

  /** Time passes for the slot; a stall of the process would otherwise blank every tile at once. */
  private stepAt(now: number): void {
    const gap = now - this.lastStepAt;
    this.lastStepAt = now;
    if (gap > STALL_MS) this.lastSourceAt += gap;
  }

  /** The timestamp that stands for wall time `now` on this slot's clock. */
  private clockTs(now: number): number {
    return this.anchorTs + Math.round(((now - this.anchorWall) * this.clockRate) / 1000);
  }

  private filler(now: number): Buffer[] {
    if (this.codec.kind === 'video') {
      if (now < this.nextFillerAt) return [];
      const interval = 1000 / VIDEO_FILLER_FPS;
      this.nextFillerAt = Math.max(this.nextFillerAt + interval, now - interval);
      return [this.fillerPacket(Math.max(this.clockTs(now), this.lastTs + 1), this.codec.filler)];
    }
    // Audio: whole 20 ms packets up to now, so the mix gets an unbroken timeline; after a
    // long stall (a busy machine), skip ahead rather than send a burst.
    const step = (48000 * AUDIO_FILLER_MS) / 1000;
    const behind = this.clockTs(now) - this.lastTs;
    let due = Math.floor(behind / step);
    if (due > 10) {
      this.lastTs += (due - 10) * step;
      due = 10;
    }
    const packets: Buffer[] = [];
    for (let i = 0; i < due; i++) packets.push(this.fillerPacket(this.lastTs + step, OPUS_SILENCE_PAYLOAD));
    return packets;
  }

  private fillerPacket(timestamp: number, payload: Buffer): Buffer {
    this.lastSeq = (this.lastSeq + 1) & 0xffff;
    this.lastTs = timestamp;
    return buildRtp(
      {
        payloadType: this.codec.payloadType,
        marker: true,
        sequence: this.lastSeq,
        timestamp: this.lastTs >>> 0,
        ssrc: this.ssrc,
      },
      payload,
    );
  }
}
