import type {
  AudienceMember,
  HandEntry,
  JoinSnapshot,
  Role,
  ServerToClientEvents,
  StageInvite,
} from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import { elsewhereUrl } from './connection.js';
import { StagecastClientError } from './errors.js';
import { request } from './signaling.js';
import type { Room } from './Room.js';

/** How an invitation ended (see `inviteEnded`). */
export type InviteEnded = Parameters<ServerToClientEvents['stage:inviteEnded']>[0];

/** Events of a HandsClient. */
export interface HandsClientEvents extends Record<string, unknown[]> {
  /** The whole queue changed (hosts and co-hosts only). */
  queue: [queue: HandEntry[]];
  /** One's own hand: its place in the queue, or null once lowered (by oneself or a host). */
  mine: [entry: HandEntry | null];
  /** A host invited this viewer on stage: call `accept()` or `decline()` before `expiresAt`. */
  invited: [invite: StageInvite];
  /** An invitation ended: accepted, declined, expired or cancelled (to the invitee and to hosts). */
  inviteEnded: [ended: InviteEnded];
  /** Number of viewers in the room (throttled by the server to about one update a second). */
  audienceCount: [viewers: number];
}

/**
 * Raise hand and the move between audience and stage, for both sides.
 *
 * Viewer: `raise(question?)`, `lower()`, then on `invited` → `accept()` (the role becomes
 * `guest`; Room emits `roleChanged`, and the Stage may now publish) or `decline()`; a guest
 * can `leaveStage()`. With several ingest servers, accepting on one that does not hold the
 * room's stage (MEDIA_ELSEWHERE) moves the room to the one that does and accepts there
 * (`Room.moveTo`): the Room, this client and every other client of the room carry on there.
 * Hosts and co-hosts: `queue`, `invite(peerId)`, `dismiss(peerId)`,
 * `lowerAll()`, `demote(peerId)`, `listAudience()`.
 * Refusals reject with StagecastClientError: FORBIDDEN, STAGE_FULL, NO_INVITE,
 * INVITE_EXPIRED, NOT_FOUND, BAD_REQUEST.
 */
export class HandsClient extends Emitter<HandsClientEvents> {
  private queueEntries: HandEntry[] = [];
  private mineEntry: HandEntry | null = null;
  private invitation: StageInvite | null = null;
  private readonly sent = new Map<string, StageInvite>();
  private readonly offs: (() => void)[] = [];

  constructor(private readonly room: Room) {
    super();
    this.apply(room.snapshot);
    this.offs.push(
      room.subscribe('hands:queue', (queue) => {
        this.queueEntries = queue;
        this.emit('queue', queue);
      }),
      room.subscribe('hand:mine', (entry) => {
        this.mineEntry = entry;
        this.emit('mine', entry);
      }),
      room.subscribe('stage:invited', (invite) => {
        this.invitation = invite;
        this.emit('invited', invite);
      }),
      room.subscribe('stage:inviteEnded', (ended) => {
        if (this.invitation?.inviteId === ended.inviteId) this.invitation = null;
        this.sent.delete(ended.inviteId);
        this.emit('inviteEnded', ended);
      }),
      room.on('audienceCount', (viewers) => this.emit('audienceCount', viewers)),
      room.on('reconnected', (snapshot) => {
        const before = this.invitation?.inviteId;
        this.apply(snapshot);
        this.emit('queue', this.queueEntries);
        this.emit('mine', this.mineEntry);
        if (this.invitation && this.invitation.inviteId !== before) this.emit('invited', this.invitation);
      }),
    );
  }

  /** The raised hands in order (filled for hosts and co-hosts only). */
  get queue(): readonly HandEntry[] {
    return this.queueEntries;
  }

  /** One's own raised hand, or null. */
  get mine(): HandEntry | null {
    return this.mineEntry;
  }

  /** The open invitation to this viewer, if any. */
  get pendingInvite(): StageInvite | null {
    return this.invitation;
  }

  /** Invitations this client sent that have not ended yet. */
  get sentInvites(): StageInvite[] {
    return [...this.sent.values()];
  }

  /** Viewers in the room now. */
  get viewers(): number {
    return this.room.viewers;
  }

  /** Raises one's hand (viewers); raising again keeps the place and updates the question. */
  async raise(question?: string): Promise<HandEntry> {
    const entry = await this.room.request('hand:raise', question === undefined ? {} : { question });
    this.mineEntry = entry;
    return entry;
  }

  async lower(): Promise<void> {
    await this.room.request('hand:lower', {});
  }

  /** Lowers someone's hand (hosts and co-hosts). */
  async dismiss(peerId: string): Promise<void> {
    await this.room.request('hand:dismiss', { peerId });
  }

  /** Lowers every hand (hosts and co-hosts). */
  async lowerAll(): Promise<void> {
    await this.room.request('hand:lowerAll', {});
  }

  /** Invites a connected viewer on stage (hosts and co-hosts); STAGE_FULL when there is no room. */
  async invite(peerId: string): Promise<StageInvite> {
    const invite = await this.room.request('stage:invite', { peerId });
    this.sent.set(invite.inviteId, invite);
    return invite;
  }

  /** Accepts an invitation (the pending one by default); resolves with the new role, `guest`. */
  async accept(inviteId = this.requirePending()): Promise<Role> {
    return this.respond(inviteId, true);
  }

  async decline(inviteId = this.requirePending()): Promise<void> {
    await this.respond(inviteId, false);
  }

  /** Moves a guest back to the audience (hosts and co-hosts); their media stops at once. */
  async demote(peerId: string): Promise<void> {
    await this.room.request('stage:demote', { peerId });
  }

  /** A guest steps down from the stage; resolves with the new role, `viewer`. */
  async leaveStage(): Promise<Role> {
    return (await this.room.request('stage:leave', {})).role;
  }

  /** The viewers in the room, with whether their hand is up (hosts and co-hosts). */
  listAudience(): Promise<AudienceMember[]> {
    return this.room.request('audience:list', {});
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }

  private async respond(inviteId: string, accept: boolean): Promise<Role> {
    try {
      return (await this.room.request('stage:respondInvite', { inviteId, accept })).role;
    } catch (error) {
      const ownerUrl = accept ? elsewhereUrl(error, this.room.url) : undefined;
      if (ownerUrl === undefined) throw error;
      return await this.acceptAt(ownerUrl, inviteId);
    } finally {
      // Whatever the answer, this invitation is settled for this client (or no longer valid).
      if (this.invitation?.inviteId === inviteId) this.invitation = null;
    }
  }

  /**
   * Accepts on the server that holds the stage, moving the room there; if that fails the
   * person stays a viewer where they were, and the error keeps the second refusal's code.
   */
  private async acceptAt(ownerUrl: string, inviteId: string): Promise<Role> {
    try {
      const accepted = await this.room.moveTo(
        ownerUrl,
        (socket) => request(socket, 'stage:respondInvite', { inviteId, accept: true }),
        'invite-accepted',
      );
      return accepted.role;
    } catch (error) {
      const wire =
        error instanceof StagecastClientError
          ? { code: error.code, message: error.message }
          : { code: 'UNAVAILABLE' as const, message: String(error) };
      throw new StagecastClientError({
        ...wire,
        message: `Could not join the stage at ${ownerUrl}, which holds it: ${wire.message}`,
      });
    }
  }

  private requirePending(): string {
    if (!this.invitation) throw new Error('No pending invitation; pass an inviteId');
    return this.invitation.inviteId;
  }

  private apply(snapshot: JoinSnapshot): void {
    this.queueEntries = snapshot.hands.queue;
    this.mineEntry = snapshot.hands.mine;
    // The server's word on one's open invitation: it may have ended while the connection was down.
    this.invitation = snapshot.hands.invite;
  }
}
