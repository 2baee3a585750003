import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { CompositeJobData } from '@stagecast/protocol';
import type { PortPair } from '../core/PortPool.js';
import { RtpSlot, type SlotKind, type SlotOutput } from './RtpSlot.js';
import { slotCodecs, type SlotCodec } from './slotCodecs.js';

/** How often slots are stepped (filler, quiet sources): one Opus packet's time. */
const TICK_MS = 20;

export interface SlotRelayEvents {
  /** A slot's source is on its way to FFmpeg (its first key frame went out). */
  onSlotLive: (kind: SlotKind, index: number, feedId: string) => void;
  /** A slot's source stopped sending: the slot shows filler until it is back. */
  onSlotQuiet: (kind: SlotKind, index: number, feedId: string) => void;
  /** A slot needs a key frame from this feed. */
  onKeyFrameWanted: (feedId: string) => void;
}

interface Feed {
  id: string;
  kind: SlotKind;
  rtp: Socket;
  rtcp: Socket;
}

function bindAny(host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ port: 0, address: host }, () => {
      socket.removeListener('error', reject);
      // A busy moment must not drop a key frame: the default buffer holds a few packets only.
      socket.setRecvBufferSize(1 << 21);
      resolve(socket);
    });
  });
}

/**
 * Why the relay lives in the transcoder, next to FFmpeg: FFmpeg's inputs must never starve,
 * whatever ingest does (a producer leaves, an ingest process dies, a feed is being set up),
 * and only a process beside FFmpeg can promise that. Ingest sends each wanted producer's RTP
 * (a feed) to a relay socket; the relay puts feeds into FFmpeg's fixed input slots
 * (`RtpSlot`), so FFmpeg sees one continuous stream per slot for the whole broadcast and a
 * stage change is only a change of which feed a slot carries.
 */
export class SlotRelay {
  private readonly slots: Record<SlotKind, RtpSlot[]>;
  private readonly feeds = new Map<string, Feed>();
  private readonly out: Socket;
  private targets: Record<SlotKind, PortPair[]> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly host: string,
    slots: CompositeJobData['slots'],
    out: Socket,
    private readonly events: SlotRelayEvents,
    private readonly logger: Logger,
  ) {
    const now = Date.now();
    const codecs = slotCodecs(slots);
    const make = (kind: SlotKind) => codecs[kind].map((codec) => new RtpSlot(codec, now));
    this.slots = { video: make('video'), audio: make('audio') };
    this.out = out;
    // FFmpeg answers with receiver reports; nothing here needs them.
    out.on('message', () => undefined);
    out.on('error', (error) => logger.debug({ err: error }, 'relay send error'));
  }

  static async create(
    host: string,
    slots: CompositeJobData['slots'],
    events: SlotRelayEvents,
    logger: Logger,
  ): Promise<SlotRelay> {
    const out = await bindAny(host);
    return new SlotRelay(host, slots, out, events, logger);
  }

  /** The codec of each slot of a kind, in slot order. */
  codecs(kind: SlotKind): SlotCodec[] {
    return this.slots[kind].map((s) => s.codec);
  }

  /** SSRC of each slot, for FFmpeg's SDP files. */
  ssrcs(kind: SlotKind): number[] {
    return this.slots[kind].map((s) => s.ssrc);
  }

  /** Sends the slots to these FFmpeg ports (one pair per slot) from now on: a run has bound them. */
  target(ports: Record<SlotKind, PortPair[]>): void {
    // A source that went live while no FFmpeg listened had its key frame dropped: the new
    // decoder would get inter frames first and never start. It waits for the next key frame.
    this.resyncVideo();
    this.targets = ports;
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  /**
   * Stops sending: FFmpeg is gone. The next run's decoders start afresh, so every video slot
   * waits for its source's next key frame (filler until then).
   */
  untarget(): void {
    this.targets = null;
    this.resyncVideo();
  }

  private resyncVideo(): void {
    const now = Date.now();
    this.slots.video.forEach((slot, i) => this.emit('video', i, slot.resync(now)));
  }

  /** Opens the sockets ingest will send one producer's RTP and RTCP to. */
  async addFeed(id: string, kind: SlotKind): Promise<PortPair> {
    const existing = this.feeds.get(id);
    if (existing) return { rtpPort: existing.rtp.address().port, rtcpPort: existing.rtcp.address().port };
    const rtp = await bindAny(this.host);
    const rtcp = await bindAny(this.host).catch((error: unknown) => {
      rtp.close();
      throw error;
    });
    const feed: Feed = { id, kind, rtp, rtcp };
    this.feeds.set(id, feed);
    rtp.on('message', (packet) => this.onPacket(feed, packet));
    // mediasoup's sender reports: FFmpeg gets one input per slot and does not sync by them.
    rtcp.on('message', () => undefined);
    for (const socket of [rtp, rtcp])
      socket.on('error', (error) => this.logger.debug({ err: error, feed: id }, 'feed socket error'));
    return { rtpPort: rtp.address().port, rtcpPort: rtcp.address().port };
  }

  removeFeed(id: string): void {
    const feed = this.feeds.get(id);
    if (!feed) return;
    this.feeds.delete(id);
    feed.rtp.close();
    feed.rtcp.close();
    for (const kind of ['video', 'audio'] as const)
      this.slots[kind].forEach((slot, i) => slot.source === id && this.assign(kind, i, null));
  }

  /** Puts a feed (or nothing: filler) into a slot. */
  assign(kind: SlotKind, index: number, feedId: string | null): void {
    const slot = this.slots[kind][index];
    if (!slot) throw new Error(`no ${kind} slot ${index}`);
    this.emit(kind, index, slot.assign(feedId, Date.now()));
  }

  /** Whether a slot's assigned source is going out (not filler). */
  isLive(kind: SlotKind, index: number): boolean {
    return this.slots[kind][index]?.live ?? false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const id of [...this.feeds.keys()]) this.removeFeed(id);
    this.out.close();
  }

  private onPacket(feed: Feed, packet: Buffer): void {
    const now = Date.now();
    this.slots[feed.kind].forEach((slot, i) => {
      if (slot.source === feed.id) this.emit(feed.kind, i, slot.onPacket(feed.id, packet, now));
    });
  }

  private tick(): void {
    const now = Date.now();
    for (const kind of ['video', 'audio'] as const)
      this.slots[kind].forEach((slot, i) => this.emit(kind, i, slot.tick(now)));
  }

  private emit(kind: SlotKind, index: number, output: SlotOutput): void {
    const slot = this.slots[kind][index];
    const target = this.targets?.[kind][index];
    if (target && !this.closed)
      for (const packet of output.packets) this.out.send(packet, target.rtpPort, this.host);
    const source = slot?.source;
    if (!source) return;
    if (output.becameLive) this.events.onSlotLive(kind, index, source);
    if (output.wentQuiet) this.events.onSlotQuiet(kind, index, source);
    if (output.wantKeyFrame) this.events.onKeyFrameWanted(source);
  }
}
