import type { types } from 'mediasoup';
import type {
  MediaSource,
  PeerIdentity,
  ProducerInfo,
  Role,
  StageMuteSource,
  StagePeer,
} from '@stagecast/protocol';

export interface ProducerAppData extends types.AppData {
  peerId: string;
  source: MediaSource;
}

export type PeerTransport = types.WebRtcTransport | types.PlainTransport;

export type TransportKind = 'webrtc' | 'plain';

/** One connected person in one room on this ingest process, and their mediasoup objects. */
export class Peer {
  readonly transports = new Map<string, PeerTransport>();
  readonly producers = new Map<string, types.Producer<ProducerAppData>>();
  readonly consumers = new Map<string, types.Consumer>();
  /**
   * Requests mediasoup is still working on. Counted with what exists, so that concurrent
   * requests cannot all pass a limit that each checks before its first `await`.
   */
  readonly pending = {
    transports: { webrtc: 0, plain: 0 } satisfies Record<TransportKind, number>,
    sources: new Set<MediaSource>(),
    /** Producer ids being consumed. */
    consumes: new Set<string>(),
  };
  /**
   * This process's copy of the peer's on-air state (Redis holds it: see stage/StageAirStore);
   * false until it was read, so nobody reaches the composite before hosts meant them to.
   */
  onAir = false;
  /** This process's copy of the sources a host hard-muted (Redis holds them). */
  readonly hardMuted = new Set<StageMuteSource>();
  private closed = false;

  constructor(
    readonly id: string,
    readonly name: string,
    public role: Role,
    /** The Socket.IO connection this peer speaks through. */
    readonly socketId: string,
  ) {}

  get identity(): PeerIdentity {
    return { peerId: this.id, name: this.name, role: this.role };
  }

  producerInfos(): ProducerInfo[] {
    return [...this.producers.values()].map((p) => producerInfo(p));
  }

  toStagePeer(): StagePeer {
    return {
      ...this.identity,
      producers: this.producerInfos(),
      onAir: this.onAir,
      hardMuted: [...this.hardMuted],
    };
  }

  /** Published, or being published. */
  hasSource(source: MediaSource): boolean {
    return (
      this.pending.sources.has(source) ||
      [...this.producers.values()].some((p) => p.appData.source === source)
    );
  }

  /** Transports of one kind, those being created included. */
  transportCount(kind: TransportKind): number {
    const existing = [...this.transports.values()].filter((t) => transportKind(t) === kind).length;
    return existing + this.pending.transports[kind];
  }

  /** Receiving `producerId`, or asking to. */
  consumes(producerId: string): boolean {
    return (
      this.pending.consumes.has(producerId) ||
      [...this.consumers.values()].some((c) => c.producerId === producerId)
    );
  }

  /** Closes every transport (and so every producer and consumer) but keeps the peer. */
  closeMedia(): void {
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeMedia();
  }
}

export function producerInfo(producer: types.Producer<ProducerAppData>): ProducerInfo {
  return {
    id: producer.id,
    peerId: producer.appData.peerId,
    kind: producer.kind,
    source: producer.appData.source,
    paused: producer.paused,
  };
}

export function transportKind(transport: PeerTransport): TransportKind {
  return 'iceParameters' in transport ? 'webrtc' : 'plain';
}
