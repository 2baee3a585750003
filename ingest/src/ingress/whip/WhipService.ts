import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { types } from 'mediasoup';
import { isStageRole, StagecastError, type MediaSource, type TokenClaims } from '@stagecast/protocol';
import type { IngestContext } from '../../core/context.js';
import { requireMediaOwner } from '../../rooms/MediaLease.js';
import type { IngressEndReason, IngressPeers, IngressSeat } from '../IngressPeers.js';
import { fragmentIceUfrag, readOffer, writeAnswer, writeRestartFragment } from './whipSdp.js';

/** One WHIP publisher: its stage seat and its transport. */
interface WhipResource {
  id: string;
  roomId: string;
  seat: IngressSeat;
  transportId: string;
  /** SHA-256 of the token that created it: only that token deletes or patches it. */
  tokenHash: Buffer;
  /** Its entry in WhipService.removed, should a host take it off the stage. */
  removedKey: string;
  tokenExpiresAt: number;
  etag: string;
  /** The first bundled mid, named in ICE restart answers. */
  mid: string;
  disconnectTimer: NodeJS.Timeout | undefined;
}

export interface WhipPublished {
  resourceId: string;
  answer: string;
  etag: string;
}

export type WhipPatched = { restarted: false } | { restarted: true; fragment: string; etag: string };

/**
 * How long a publisher whose ICE consent stopped (it went away without DELETE) keeps its place;
 * mediasoup reports "disconnected" after about 30 s of silence already, so this is short.
 */
const DISCONNECT_GRACE_MS = 5_000;

const ETAG = () => `"${randomBytes(9).toString('base64url')}"`;
const hashToken = (token: string) => createHash('sha256').update(token).digest();

/**
 * WHIP (RFC 9725) publishers: an SDP offer and a room token make a stage participant
 * (IngressPeers) with one mediasoup WebRtcTransport and a producer per audio or video
 * section; DELETE with the same token removes it. Resources live on the process owning the
 * room's media, like the stage they are on.
 */
export class WhipService {
  private readonly resources = new Map<string, WhipResource>();
  /**
   * Tokens whose publisher a host took off the stage (or banned), until they expire: a WHIP
   * encoder retries on its own, and would be back at once. `room token-hash` → expiry (ms).
   */
  private readonly removed = new Map<string, number>();

  constructor(
    private readonly ctx: Pick<
      IngestContext,
      'tokens' | 'store' | 'presence' | 'bans' | 'rooms' | 'media' | 'logger'
    >,
    private readonly ingress: IngressPeers,
  ) {}

  /**
   * Checks the token before anything else (a refused request never reaches mediasoup): valid,
   * for this room, its link not rotated, its holder not banned, and a role that may publish.
   */
  async authorize(roomId: string, token: string | undefined): Promise<TokenClaims> {
    const claims = await this.ctx.tokens.verify(token, roomId);
    if ((await this.ctx.store.generation(claims.room, claims.link)) !== claims.gen)
      throw new StagecastError('LINK_REVOKED', 'This link was replaced; ask the host for the new one');
    if (await this.ctx.bans.isBanned(claims.room, claims.sub))
      throw new StagecastError('BANNED', 'You were removed from this room');
    const role = await this.ctx.presence.effectiveRole(claims.room, claims.sub, claims.role);
    if (!isStageRole(role)) throw new StagecastError('FORBIDDEN', 'Viewers cannot publish to the stage');
    return claims;
  }

  /** Seats a publisher from an authorized request's offer; answers the SDP answer. */
  async publish(claims: TokenClaims, token: string, offerSdp: string): Promise<WhipPublished> {
    const roomId = claims.room;
    const removedKey = `${roomId} ${hashToken(token).toString('hex')}`;
    if ((this.removed.get(removedKey) ?? 0) > Date.now())
      throw new StagecastError('FORBIDDEN', 'A host took this publisher off the stage; ask for a new token');
    const record = await this.ctx.store.get(roomId);
    if (!record) throw new StagecastError('ROOM_NOT_FOUND', 'This room does not exist (any more)');
    await requireMediaOwner(this.ctx.media, roomId);
    const room = this.ctx.rooms.open(roomId, record.name);
    let offer: ReturnType<typeof readOffer>;
    try {
      // Read against the router's capabilities before taking a seat: a refused offer never
      // shows anyone a participant.
      offer = readOffer(offerSdp, (await room.openRouter()).rtpCapabilities);
    } catch (error) {
      if (room.peers.size === 0) this.ctx.rooms.scheduleIdleClose(room);
      throw error;
    }
    const id = randomBytes(18).toString('base64url');
    const seat = await this.ingress.join(roomId, claims.name, (reason) => void this.drop(id, reason));
    try {
      const transport = await room.createWebRtcTransport(seat.peer, 'send');
      await room.connectTransport(seat.peer, transport.id, offer.dtlsParameters);
      const used = new Set<MediaSource>();
      for (const section of offer.sections) {
        const source = sourceFor(section.kind, used);
        used.add(source);
        await room.produce(seat.peer, {
          transportId: transport.id,
          kind: section.kind,
          source,
          rtpParameters: section.rtpParameters,
        });
      }
      const resource: WhipResource = {
        id,
        roomId,
        seat,
        transportId: transport.id,
        tokenHash: hashToken(token),
        removedKey,
        tokenExpiresAt: claims.exp * 1000,
        etag: ETAG(),
        mid: offer.sections[0]?.mid ?? '0',
        disconnectTimer: undefined,
      };
      this.resources.set(id, resource);
      this.watchTransport(resource);
      return {
        resourceId: id,
        etag: resource.etag,
        answer: writeAnswer(offer, {
          iceParameters: transport.iceParameters,
          iceCandidates: transport.iceCandidates as types.IceCandidate[],
          dtlsParameters: transport.dtlsParameters,
        }),
      };
    } catch (error) {
      await this.ingress.leave(seat);
      throw error;
    }
  }

  /** DELETE: the publisher leaves the stage (its producers close, everyone is told). */
  async remove(roomId: string, id: string, token: string | undefined): Promise<void> {
    const resource = await this.owned(roomId, id, token);
    await this.end(resource);
  }

  /**
   * PATCH (RFC 9725 §4.3): trickled candidates need nothing (the server is ICE-lite and
   * answers checks from any address); new ICE credentials restart ICE and get the server's new
   * ones back.
   */
  async patch(
    roomId: string,
    id: string,
    token: string | undefined,
    ifMatch: string | undefined,
    fragment: string,
  ): Promise<WhipPatched> {
    const resource = await this.owned(roomId, id, token);
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== resource.etag)
      throw new StagecastError('PRECONDITION_FAILED', 'The resource changed (ICE restarted); send its ETag');
    if (!fragmentIceUfrag(fragment)) return { restarted: false };
    if (ifMatch === undefined)
      throw new StagecastError('PRECONDITION_FAILED', 'An ICE restart needs If-Match with the ETag');
    const iceParameters = await resource.seat.room.restartIce(resource.seat.peer, resource.transportId);
    resource.etag = ETAG();
    return {
      restarted: true,
      etag: resource.etag,
      fragment: writeRestartFragment(iceParameters, resource.mid),
    };
  }

  private remember(removedKey: string, expiresAt: number): void {
    const now = Date.now();
    for (const [key, until] of this.removed) if (until <= now) this.removed.delete(key);
    this.removed.set(removedKey, expiresAt);
  }

  /** Removes every publisher of this process (shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.resources.values()].map((r) => this.end(r)));
  }

  /** The resource, if the token is the one that made it: otherwise 401 (invalid) or 403. */
  private async owned(roomId: string, id: string, token: string | undefined): Promise<WhipResource> {
    const resource = this.resources.get(id);
    const given = hashToken(token ?? '');
    if (resource?.roomId === roomId && timingSafeEqual(given, resource.tokenHash)) return resource;
    // Someone else's token (or a gone resource) is told apart from no valid token at all.
    await this.ctx.tokens.verify(token, roomId);
    if (!resource || resource.roomId !== roomId)
      throw new StagecastError('NOT_FOUND', 'No such WHIP resource (it ended, or lives on another server)');
    throw new StagecastError('FORBIDDEN', 'Only the token that created this resource can change it');
  }

  private watchTransport(resource: WhipResource): void {
    const transport = resource.seat.peer.transports.get(resource.transportId);
    if (!transport || !('iceParameters' in transport)) return void this.drop(resource.id);
    const webrtc: types.WebRtcTransport = transport;
    const dropped = () => void this.drop(resource.id, this.ingress.reasonFor(resource.seat));
    webrtc.observer.once('close', dropped);
    webrtc.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') dropped();
    });
    // A publisher gone without DELETE (crash, network): its place is given back.
    webrtc.on('icestatechange', (state) => {
      clearTimeout(resource.disconnectTimer);
      resource.disconnectTimer = undefined;
      if (state !== 'disconnected' && state !== 'closed') return;
      resource.disconnectTimer = setTimeout(() => void this.drop(resource.id), DISCONNECT_GRACE_MS);
      resource.disconnectTimer.unref();
    });
  }

  private async drop(id: string, reason: IngressEndReason = 'stopped'): Promise<void> {
    const resource = this.resources.get(id);
    if (!resource) return;
    if (reason === 'removed') this.remember(resource.removedKey, resource.tokenExpiresAt);
    await this.end(resource);
  }

  private async end(resource: WhipResource): Promise<void> {
    if (this.resources.get(resource.id) !== resource) return;
    this.resources.delete(resource.id);
    clearTimeout(resource.disconnectTimer);
    await this.ingress.leave(resource.seat);
    this.ctx.logger.info({ room: resource.roomId, peer: resource.seat.peer.id }, 'WHIP publisher left');
  }
}

/** Camera and microphone first; a second video or audio section is a screen share. */
function sourceFor(kind: 'audio' | 'video', used: Set<MediaSource>): MediaSource {
  if (kind === 'video') return used.has('camera') ? 'screen' : 'camera';
  return used.has('mic') ? 'screen-audio' : 'mic';
}
