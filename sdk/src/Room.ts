import { DEFAULT_LAYOUT } from '@stagecast/protocol';
import type {
  ConnectErrorData,
  JoinSnapshot,
  LayoutChoice,
  LiveState,
  PeerIdentity,
  ProducerInfo,
  Role,
  RoomClosedReason,
  StagePeer,
  BroadcastProgress,
  ServerToClientEvents,
} from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import { StagecastClientError } from './errors.js';
import { request, type ClientSocket, type RequestPayload, type ResponseData } from './signaling.js';
import {
  connectError,
  elsewhereUrl,
  isTemporary,
  openSocket,
  retryDelay,
  type ConnectOptions,
} from './connection.js';
import { ServerListeners } from './ServerListeners.js';

export type { ConnectOptions } from './connection.js';

type RoleChangeReason = RoomEvents['roleChanged'][1];

/** Events of a Room. */
export interface RoomEvents extends Record<string, unknown[]> {
  /** The connection is lost; the SDK is reconnecting. */
  reconnecting: [];
  /**
   * Reconnected; state was refreshed from a new snapshot. Also after the room moved to
   * another ingest server (see `moveTo`), with that server's snapshot.
   */
  reconnected: [snapshot: JoinSnapshot];
  /** The server closed the room for this client (ban, deletion, expiry, rotated link); no reconnection. */
  closed: [reason: RoomClosedReason | 'disconnected', message: string];
  /** The stage (people and their producers) changed. */
  stageChanged: [stage: StagePeer[]];
  activeSpeaker: [peerId: string | null];
  /** One's own role changed: promoted on stage, moved back to the audience. */
  roleChanged: [role: Role, reason: 'invite-accepted' | 'demoted' | 'left-stage'];
  liveState: [state: LiveState];
  /** The layout hosts chose for the composite changed (by anyone: a host, a co-host, the REST API). */
  layoutChanged: [choice: LayoutChoice];
  broadcastProgress: [progress: BroadcastProgress];
  audienceCount: [viewers: number];
  /**
   * The server renewed this session's token (well before the old one expires); reconnections
   * use it. Keep it only if the app reconnects by itself later (e.g. after a reload).
   */
  tokenRenewed: [token: string, expiresAt: number];
}

/** A joined room: typed requests, live state kept in sync with the server's notifications. */
export class Room extends Emitter<RoomEvents> {
  self: PeerIdentity;
  readonly roomId: string;
  readonly roomName: string;
  live: LiveState;
  /**
   * The layout hosts chose for the composite, kept while the room exists, live or not (what
   * is on air now comes with `broadcastProgress`).
   */
  layout: LayoutChoice;
  viewers: number;
  activeSpeakerPeerId: string | null;
  readonly maxStage: number;
  private readonly stagePeers = new Map<string, StagePeer>();
  private closedReason: string | null = null;
  /** Counts `broadcast:layout` notifications, so a late request answer cannot undo a newer one. */
  private layoutUpdates = 0;
  private current: ClientSocket;
  private readonly notifications: ServerListeners;
  /** Set while `moveTo` runs; only one move at a time. */
  private moving = false;

  private constructor(
    socket: ClientSocket,
    /** The snapshot received when joining (chat and hands clients start from it). */
    public snapshot: JoinSnapshot,
    /** How this room connected; `url` and `token` follow a move and a renewal. */
    private options: ConnectOptions,
  ) {
    super();
    this.current = socket;
    this.notifications = new ServerListeners(socket);
    this.self = snapshot.self;
    this.roomId = snapshot.room.id;
    this.roomName = snapshot.room.name;
    this.live = snapshot.live;
    this.layout = layoutOf(snapshot);
    this.viewers = snapshot.audience.viewers;
    this.activeSpeakerPeerId = snapshot.activeSpeakerPeerId;
    this.maxStage = snapshot.maxStage;
    this.applyStage(snapshot.stage);
    this.listen();
    this.watch(socket);
  }

  /**
   * Connects with a token and joins the room. Rejects with StagecastClientError (e.g.
   * TOKEN_EXPIRED, BANNED). A stage role sent on by a server that does not hold the room's
   * stage (MEDIA_ELSEWHERE, with several ingest servers) connects to the one named, once.
   */
  static async connect(options: ConnectOptions): Promise<Room> {
    try {
      return await Room.connectTo(options);
    } catch (error) {
      const ownerUrl = elsewhereUrl(error, options.url);
      if (ownerUrl === undefined) throw error;
      return Room.connectTo({ ...options, url: ownerUrl });
    }
  }

  private static async connectTo(options: ConnectOptions): Promise<Room> {
    const socket = await openSocket(options);
    try {
      const snapshot = await request(socket, 'room:join', {});
      return new Room(socket, snapshot, options);
    } catch (error) {
      socket.disconnect();
      throw error;
    }
  }

  /** The connection now; it changes when the room moves to another server (`moveTo`). */
  get socket(): ClientSocket {
    return this.current;
  }

  /** Base URL of the ingest server this room is connected to now. */
  get url(): string {
    return this.options.url;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get role(): Role {
    return this.self.role;
  }

  /** Everyone on stage, in the order they arrived. */
  get stage(): StagePeer[] {
    return [...this.stagePeers.values()];
  }

  /** Sends a typed request; rejects with StagecastClientError carrying the server's code. */
  request<E extends Parameters<typeof request>[1]>(
    event: E,
    payload: RequestPayload<E>,
  ): Promise<ResponseData<E>> {
    return request(this.socket, event, payload);
  }

  /**
   * Listens to a server notification, on this connection and on the one the room may move
   * to; returns the remover. The SDK's clients listen this way, so that they follow a move.
   */
  subscribe<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): () => void {
    return this.notifications.add(event, listener);
  }

  /**
   * Continues this room on the ingest server at `url` (the owner of the room's stage, named by
   * a MEDIA_ELSEWHERE refusal): connects there with the same token and runs `first` on that
   * connection (e.g. accepting a stage invitation). Only once `first` succeeded does the room
   * move every listener (chat, hands, stage) to the new connection, close the old one and
   * emit `reconnected` with the new server's snapshot, then `roleChanged` if `reason` is given
   * and the role changed. If connecting or `first` fails, the new connection is closed, the
   * room stays where it was, and this rejects with the failure's code: the caller decides
   * whether to try elsewhere, and a MEDIA_ELSEWHERE from the new server is not followed here.
   */
  async moveTo<T>(
    url: string,
    first: (socket: ClientSocket) => Promise<T>,
    reason?: RoleChangeReason,
  ): Promise<T> {
    if (this.closedReason)
      throw new StagecastClientError({ code: 'ROOM_CLOSED', message: 'The room is closed' });
    if (this.moving)
      throw new StagecastClientError({ code: 'CONFLICT', message: 'The room is already moving' });
    this.moving = true;
    let next: ClientSocket | undefined;
    try {
      next = await openSocket({ ...this.options, url });
      const result = await first(next);
      this.switchTo(next, url);
      if (this.closedReason) next.disconnect();
      else await this.rejoin(reason);
      return result;
    } catch (error) {
      if (next && this.current !== next) {
        next.disconnect();
        // Presence is one entry per person, and the new connection's end removed it: the old
        // connection registers again (a reconnection), or hosts would no longer see this viewer.
        if (!this.closedReason) this.current.disconnect().connect();
      }
      throw error;
    } finally {
      this.moving = false;
    }
  }

  /** Moves every listener to `next` and closes the old connection. */
  private switchTo(next: ClientSocket, url: string): void {
    this.notifications.moveTo(next);
    const old = this.current;
    this.current = next;
    this.options = { ...this.options, url };
    old.off();
    old.disconnect();
    this.watch(next);
    // From here on, a role change is news from the server the room is on.
    this.moving = false;
  }

  /**
   * Chooses the composite's layout, live or before going live (hosts and co-hosts). Resolves
   * with the choice the server kept; everyone in the room then gets `layoutChanged`.
   * Rejects with StagecastClientError: FORBIDDEN (guests), BAD_REQUEST (an invalid choice, or
   * `spotlight` without `pinnedPeerId`), NOT_FOUND (the pinned person is not on stage),
   * UNAVAILABLE (not connected, or no answer).
   */
  async setLayout(choice: LayoutChoice): Promise<LayoutChoice> {
    const seen = this.layoutUpdates;
    const kept = await this.request('broadcast:layout', choice);
    // A notification that arrived meanwhile is at least as new as this answer (another host
    // may have chosen after us); only without one does the answer update the room.
    if (this.layoutUpdates === seen) this.setLayoutChoice(kept);
    return kept;
  }

  /** Leaves the room and closes the connection. */
  close(): void {
    if (this.closedReason) return;
    this.closedReason = 'left';
    this.socket.disconnect();
    this.emit('closed', 'disconnected', 'You left the room');
    this.removeAllListeners();
  }

  private applyStage(stage: StagePeer[]): void {
    this.stagePeers.clear();
    for (const peer of stage) this.stagePeers.set(peer.peerId, peer);
  }

  /** Updates `layout` and emits `layoutChanged` when the choice differs. */
  private setLayoutChoice(choice: LayoutChoice): void {
    if (sameLayout(choice, this.layout)) return;
    this.layout = choice;
    this.emit('layoutChanged', choice);
  }

  private stageChanged(): void {
    this.emit('stageChanged', this.stage);
  }

  private updateProducer(peerId: string, change: (producers: ProducerInfo[]) => ProducerInfo[]): void {
    const peer = this.stagePeers.get(peerId);
    if (!peer) return;
    this.stagePeers.set(peerId, { ...peer, producers: change(peer.producers) });
    this.stageChanged();
  }

  /** The room's own state, kept from the server's notifications (on whichever connection). */
  private listen(): void {
    const on = this.notifications.add.bind(this.notifications);
    on('peer:joined', (peer) => {
      this.stagePeers.set(peer.peerId, peer);
      this.stageChanged();
    });
    on('peer:updated', (peer) => {
      this.stagePeers.set(peer.peerId, peer);
      this.stageChanged();
    });
    on('peer:left', ({ peerId }) => {
      if (this.stagePeers.delete(peerId)) this.stageChanged();
    });
    on('producer:new', (producer) =>
      this.updateProducer(producer.peerId, (list) => [...list.filter((p) => p.id !== producer.id), producer]),
    );
    on('producer:closed', ({ producerId, peerId }) =>
      this.updateProducer(peerId, (list) => list.filter((p) => p.id !== producerId)),
    );
    on('producer:paused', ({ producerId, peerId, paused }) =>
      this.updateProducer(peerId, (list) => list.map((p) => (p.id === producerId ? { ...p, paused } : p))),
    );
    on('stage:activeSpeaker', ({ peerId }) => {
      this.activeSpeakerPeerId = peerId;
      this.emit('activeSpeaker', peerId);
    });
    on('self:role', ({ role, reason }) => {
      // During a move, the role the new server gives reaches the old connection too (every
      // process applies a role change to its own connections): the move reports it itself,
      // once it is on the server where that role works.
      if (this.moving) return;
      this.self = { ...this.self, role };
      this.emit('roleChanged', role, reason);
    });
    on('broadcast:state', (state) => {
      this.live = state;
      this.emit('liveState', state);
    });
    on('broadcast:layout', (choice) => {
      this.layoutUpdates++;
      this.setLayoutChoice(choice);
    });
    on('broadcast:progress', (progress) => this.emit('broadcastProgress', progress));
    on('audience:count', ({ viewers }) => {
      this.viewers = viewers;
      this.emit('audienceCount', viewers);
    });
    on('room:closed', ({ reason, message }) => {
      this.closedReason = reason;
      this.emit('closed', reason, message);
    });
  }

  /** The life of one connection: token renewal, loss and reconnection. */
  private watch(s: ClientSocket): void {
    s.on('session:token', ({ token, expiresAt }) => {
      // Socket.IO sends `auth` again on every reconnection: a reconnection past the first
      // token's expiry is admitted with this one (and so is a move to another server).
      s.auth = { ...(s.auth as Record<string, unknown>), token };
      this.options = { ...this.options, token };
      this.emit('tokenRenewed', token, expiresAt);
    });
    s.on('disconnect', (reason) => {
      if (this.closedReason) return;
      // The server ended the session on purpose: no reconnection.
      if (reason === 'io server disconnect') {
        this.closedReason = 'disconnected';
        this.emit('closed', 'disconnected', 'The server closed the connection');
      } else {
        this.emit('reconnecting');
      }
    });
    // The socket's own `connect`, not the manager's `reconnect`: the manager reconnects first,
    // and requests only work once the server has admitted the socket again. This listener is
    // added after the first connection, so every call is a reconnection.
    s.on('connect_error', (err: Error & { data?: ConnectErrorData }) => {
      // A refused connection is not retried by Socket.IO. Over the server's connection limit,
      // or while the server cannot reach its database, come back once the server says a retry
      // can succeed, never sooner.
      // Without `data` the transport failed, and Socket.IO's own reconnection is on it.
      const error = connectError(err);
      if (err.data && isTemporary(error) && !this.closedReason) {
        setTimeout(() => {
          if (!this.closedReason && !s.connected) s.connect();
        }, retryDelay(error.retryAfterMs));
      }
    });
    s.on('connect', () => void this.rejoin());
  }

  /**
   * Asks for a fresh snapshot after a reconnection (or a move); waits out a rate limit or an
   * outage of the server's database instead of giving up. With `reason`, a role that differs
   * from the one held before is reported as `roleChanged`.
   */
  private async rejoin(reason?: RoleChangeReason): Promise<void> {
    let snapshot: JoinSnapshot;
    try {
      snapshot = await this.request('room:join', {});
    } catch (error) {
      if (error instanceof StagecastClientError && isTemporary(error)) {
        await new Promise((resolve) => setTimeout(resolve, retryDelay(error.retryAfterMs)));
        if (!this.closedReason && this.socket.connected) await this.rejoin(reason);
        return;
      }
      const message = error instanceof Error ? error.message : 'Could not rejoin the room';
      this.emit('closed', 'disconnected', message);
      return;
    }
    const layoutBefore = this.layout;
    const roleBefore = this.role;
    this.snapshot = snapshot;
    this.self = snapshot.self;
    this.live = snapshot.live;
    this.layout = layoutOf(snapshot);
    this.layoutUpdates++;
    this.viewers = snapshot.audience.viewers;
    this.activeSpeakerPeerId = snapshot.activeSpeakerPeerId;
    this.applyStage(snapshot.stage);
    this.emit('reconnected', snapshot);
    this.stageChanged();
    // Another host may have changed the layout while we were away.
    if (!sameLayout(layoutBefore, this.layout)) this.emit('layoutChanged', this.layout);
    if (reason && this.role !== roleBefore) this.emit('roleChanged', this.role, reason);
  }
}

/** The snapshot's layout choice; a server from before layouts sends none, which means the default. */
function layoutOf(snapshot: JoinSnapshot): LayoutChoice {
  return (snapshot as Partial<JoinSnapshot>).layout ?? DEFAULT_LAYOUT;
}

function sameLayout(a: LayoutChoice, b: LayoutChoice): boolean {
  return a.mode === b.mode && a.pinnedPeerId === b.pinnedPeerId;
}
