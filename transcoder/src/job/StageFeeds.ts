import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { IngestLink } from './IngestLink.js';
import type { SlotKind } from '../relay/RtpSlot.js';
import type { SlotRelay } from '../relay/SlotRelay.js';

/** How long ingest may take to answer a bind. */
const BIND_TIMEOUT_MS = 8000;
/** A failed bind of a producer still wanted is tried again after this long. */
const BIND_RETRY_MS = 2000;

/** The codec each kind of slot carries (FFmpeg's SDP of the slot names it). */
const SLOT_CODEC: Record<SlotKind, string> = { video: 'vp8', audio: 'opus' };

interface Feed {
  id: string;
  producerId: string;
  kind: SlotKind;
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

  constructor(
    private readonly relay: SlotRelay,
    private readonly link: IngestLink,
    private readonly host: string,
    private readonly logger: Logger,
    /** Something changed that the picture may show (a bind failed, a feed went away). */
    private readonly onChange: () => void,
  ) {
    const { video, audio } = relay.counts;
    this.slots = {
      video: Array<string | null>(video).fill(null),
      audio: Array<string | null>(audio).fill(null),
    };
  }

  /**
   * The producers wanted now, in priority order (tile order for video); more than there
   * are slots are left out. Releases the others, binds the new ones.
   */
  sync(wanted: Record<SlotKind, readonly string[]>, now = Date.now()): void {
    for (const kind of ['video', 'audio'] as const) {
      const keep = new Set(wanted[kind].slice(0, this.slots[kind].length));
      this.slots[kind].forEach((producerId, i) => {
        if (producerId !== null && !keep.has(producerId)) this.free(kind, i);
      });
      for (const producerId of keep) {
        if (this.slots[kind].includes(producerId)) {
          const feed = this.feeds.get(producerId);
          if (feed && feed.retryAt > 0 && now >= feed.retryAt) void this.bind(feed);
          continue;
        }
        const index = this.slots[kind].indexOf(null);
        if (index < 0) break;
        this.slots[kind][index] = producerId;
        const feed: Feed = {
          id: `${producerId}.${randomBytes(3).toString('hex')}`,
          producerId,
          kind,
          retryAt: 0,
        };
        this.feeds.set(producerId, feed);
        void this.bind(feed);
      }
    }
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
      if (input.codec.toLowerCase() !== SLOT_CODEC[feed.kind]) {
        throw new Error(`a ${feed.kind} slot carries ${SLOT_CODEC[feed.kind]}, not ${input.codec}`);
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
