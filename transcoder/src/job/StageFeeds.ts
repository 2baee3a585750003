import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { IngestLink } from './IngestLink.js';
import type { SlotKind } from '../relay/slotCodecs.js';
import type { SlotRelay } from '../relay/SlotRelay.js';

/** How long ingest may take to answer a bind. */
const BIND_TIMEOUT_MS = 8000;
/** A failed bind of a producer still wanted is tried again after this long. */
const BIND_RETRY_MS = 2000;

/** A producer the picture (or the mix) wants, with its codec: only a slot of that codec takes it. */
export interface WantedFeed {
  producerId: string;
  /** Lowercase (`vp8`, `h264`, `opus`), as the stage snapshot says it. */
  codec: string;
}

interface Feed {
  id: string;
  producerId: string;
  kind: SlotKind;
  /** The codec of its slot (FFmpeg's SDP of the slot names it). */
  codec: string;
  /** When a failed bind may be tried again. */
  retryAt: number;
}

/**
 * Which producers the compositor receives (feeds) and which slot each one fills. A producer
 * keeps its slot for as long as it stays on air, so a layout change never re-routes RTP:
 * only the tiles move.
 */
export class StageFeeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly slots: Record<SlotKind, (string | null)[]>;
  /** The codec of each slot, in slot order. */
  private readonly codecs: Record<SlotKind, string[]>;
  /** Producers wanted but left without a slot (logged once when they are). */
  private unplaced = new Set<string>();

  constructor(
    private readonly relay: SlotRelay,
    private readonly link: IngestLink,
    private readonly host: string,
    private readonly logger: Logger,
    /** Something changed that the picture may show (a bind failed, a feed went away). */
    private readonly onChange: () => void,
  ) {
    const codecsOf = (kind: SlotKind) => relay.codecs(kind).map((c) => c.name);
    this.codecs = { video: codecsOf('video'), audio: codecsOf('audio') };
    this.slots = {
      video: Array<string | null>(this.codecs.video.length).fill(null),
      audio: Array<string | null>(this.codecs.audio.length).fill(null),
    };
  }

  /**
   * The producers wanted now, in priority order (tile order for video); more of a codec than
   * there are slots of it are left out (their tiles show the name, as with the camera off).
   * Releases the others, binds the new ones.
   */
  sync(wanted: Record<SlotKind, readonly WantedFeed[]>, now = Date.now()): void {
    const unplaced = new Set<string>();
    for (const kind of ['video', 'audio'] as const) {
      const codecs = this.codecs[kind];
      const keep = new Map<string, string>();
      for (const { producerId, codec } of wanted[kind]) {
        const taken = [...keep.values()].filter((c) => c === codec).length;
        const slots = codecs.filter((c) => c === codec).length;
        if (taken < slots) keep.set(producerId, codec);
        else {
          unplaced.add(producerId);
          if (!this.unplaced.has(producerId))
            this.logger.warn(
              { producer: producerId, codec, slots },
              `no free ${codec} ${kind} slot; the producer is left out of the composite`,
            );
        }
      }
      this.slots[kind].forEach((producerId, i) => {
        if (producerId !== null && keep.get(producerId) !== codecs[i]) this.free(kind, i);
      });
      for (const [producerId, codec] of keep) {
        if (this.slots[kind].includes(producerId)) {
          const feed = this.feeds.get(producerId);
          if (feed && feed.retryAt > 0 && now >= feed.retryAt) void this.bind(feed);
          continue;
        }
        const index = this.slots[kind].findIndex((p, i) => p === null && codecs[i] === codec);
        if (index < 0) continue;
        this.slots[kind][index] = producerId;
        const feed: Feed = {
          id: `${producerId}.${randomBytes(3).toString('hex')}`,
          producerId,
          kind,
          codec,
          retryAt: 0,
        };
        this.feeds.set(producerId, feed);
        void this.bind(feed);
      }
    }
    this.unplaced = unplaced;
  }

  /** The video slot that carries this producer, if any. */
  videoSlotOf(producerId: string): number | undefined {
    const index = this.slots.video.indexOf(producerId);
    return index < 0 ? undefined : index;
  }

  /** The relay asks for a key frame on one of our feeds. */
  keyFrameWanted(feedId: string): void {
    void this.link.send({ type: 'keyFrame', roomId: this.roomId, feedId }).catch(() => undefined);
  }

  /** Releases every feed (the broadcast ends here). */
  close(): void {
    for (const kind of ['video', 'audio'] as const)
      this.slots[kind].forEach((p, i) => p !== null && this.free(kind, i));
  }

  private get roomId(): string {
    return this.link.roomId;
  }

  private async bind(feed: Feed): Promise<void> {
    feed.retryAt = 0;
    try {
      const ports = await this.relay.addFeed(feed.id, feed.kind);
      // Into its slot before ingest sends: the first key frame (asked for on bind) must not be dropped.
      const slot = this.slots[feed.kind].indexOf(feed.producerId);
      if (slot >= 0 && this.feeds.get(feed.producerId) === feed) this.relay.assign(feed.kind, slot, feed.id);
      const input = await this.link.bind(feed.id, this.host, feed.producerId, ports, BIND_TIMEOUT_MS);
      if (this.feeds.get(feed.producerId) !== feed) return;
      if (input.codec.toLowerCase() !== feed.codec) {
        throw new Error(`a ${feed.codec} slot cannot carry ${input.codec}`);
      }
    } catch (error) {
      if (this.feeds.get(feed.producerId) !== feed) return;
      this.logger.warn(
        { err: error, producer: feed.producerId },
        'could not receive a producer; its tile shows the name only',
      );
      this.relay.removeFeed(feed.id);
      void this.link.send({ type: 'release', roomId: this.roomId, feedId: feed.id }).catch(() => undefined);
      feed.retryAt = Date.now() + BIND_RETRY_MS;
      this.onChange();
    }
  }

  private free(kind: SlotKind, index: number): void {
    const producerId = this.slots[kind][index];
    if (producerId == null) return;
    this.slots[kind][index] = null;
    const feed = this.feeds.get(producerId);
    this.feeds.delete(producerId);
    if (!feed) return;
    this.relay.removeFeed(feed.id);
    void this.link.send({ type: 'release', roomId: this.roomId, feedId: feed.id }).catch(() => undefined);
  }
}
