import type { types } from 'mediasoup';
import type { MediaSource, PeerIdentity, ProducerInfo, Role, StagePeer } from '@stagecast/protocol';

export interface ProducerAppData extends types.AppData {
  peerId: string;
  source: MediaSource;
}

export type PeerTransport = types.WebRtcTransport | types.PlainTransport;

/** One connected person in one room on this ingest process, and their mediasoup objects. */
export class Peer {
  readonly transports = new Map<string, PeerTransport>();
  readonly producers = new Map<string, types.Producer<ProducerAppData>>();
  readonly consumers = new Map<string, types.Consumer>();
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
    return { ...this.identity, producers: this.producerInfos() };
  }

  hasSource(source: MediaSource): boolean {
    return [...this.producers.values()].some((p) => p.appData.source === source);
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
