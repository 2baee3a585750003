import { StagecastError, type MediaSource } from '@stagecast/protocol';
import type { Peer, TransportKind } from './Peer.js';

/** The most mediasoup objects one peer may hold at once (see the README's configuration table). */
export interface PeerMediaLimits {
  webRtcTransports: number;
  plainTransports: number;
  producers: number;
  consumers: number;
}

/**
 * Each `reserve…` checks a limit and counts the request as pending before the caller's first
 * `await`, and returns the release to call once mediasoup has answered (the object then counts
 * itself). Node runs the check and the count without a gap, so of N concurrent requests only
 * as many as the limit allows get past.
 */
type Release = () => void;

const TRANSPORT_NAMES: Record<TransportKind, string> = { webrtc: 'WebRTC', plain: 'plain' };

export function reserveTransport(peer: Peer, kind: TransportKind, limits: PeerMediaLimits): Release {
  const limit = kind === 'webrtc' ? limits.webRtcTransports : limits.plainTransports;
  if (peer.transportCount(kind) >= limit)
    throw new StagecastError(
      'LIMIT_REACHED',
      `You already have ${limit} ${TRANSPORT_NAMES[kind]} transport${limit === 1 ? '' : 's'}`,
    );
  peer.pending.transports[kind] += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    peer.pending.transports[kind] -= 1;
  };
}

/** One producer per source: a second one for the same source is a CONFLICT, even concurrently. */
export function reserveSource(peer: Peer, source: MediaSource, limits: PeerMediaLimits): Release {
  if (peer.hasSource(source))
    throw new StagecastError('CONFLICT', `You already publish a ${source}; close it first`);
  if (peer.producers.size + peer.pending.sources.size >= limits.producers)
    throw new StagecastError('LIMIT_REACHED', `You already publish ${limits.producers} sources`);
  peer.pending.sources.add(source);
  return () => peer.pending.sources.delete(source);
}

/** One consumer per producer and peer: receiving the same media twice only costs bandwidth. */
export function reserveConsume(peer: Peer, producerId: string, limits: PeerMediaLimits): Release {
  if (peer.consumes(producerId)) throw new StagecastError('CONFLICT', 'You already receive this producer');
  if (peer.consumers.size + peer.pending.consumes.size >= limits.consumers)
    throw new StagecastError('LIMIT_REACHED', `You already receive ${limits.consumers} streams`);
  peer.pending.consumes.add(producerId);
  return () => peer.pending.consumes.delete(producerId);
}
