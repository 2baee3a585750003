import {
  can,
  isStageRole,
  StagecastError,
  type PeerIdentity,
  type Role,
  type StageInvite,
} from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import { requireMediaOwner } from '../rooms/MediaLease.js';
import type { HandService } from './HandService.js';
import { InviteStore, LOCK_BUSY, type InviteOutcome } from './InviteStore.js';

export interface PromotionOptions {
  /** How long an invitation stays open. */
  inviteTtlMs: number;
  /** Greatest number of people on stage at once. */
  maxStage: number;
}

/**
 * Bringing viewers onto the stage and back: invitations (Redis, any process may answer),
 * acceptance (re-checks the stage size under a lock, then RoleService promotes), demotion
 * and leaving. Roles always come from the server's own Peer, never from the client.
 */
export class StagePromotion {
  readonly invites: InviteStore;
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'redis' | 'presence' | 'roles' | 'media' | 'logger'>,
    private readonly hands: HandService,
    private readonly options: PromotionOptions,
    /** Called after a role change (the viewer count changed). */
    private readonly onRolesChanged: (roomId: string) => void,
  ) {
    this.invites = new InviteStore(ctx.redis, ctx.logger);
  }

  async invite(roomId: string, by: PeerIdentity, peerId: string): Promise<StageInvite> {
    requireManager(by);
    const target = await this.ctx.presence.get(roomId, peerId);
    if (!target) throw new StagecastError('NOT_FOUND', 'That person is not connected to this room');
    if (target.role !== 'viewer')
      throw new StagecastError('BAD_REQUEST', 'Only viewers can be invited on stage');
    await this.requireStageRoom(roomId);
    const { invite, created } = await this.invites.create(roomId, {
      peerId,
      from: by,
      expiresAt: Date.now() + this.options.inviteTtlMs,
    });
    // Sent again for an open invitation too, in case the viewer's page missed it.
    this.ctx.io.to(channels.peer(roomId, peerId)).emit('stage:invited', invite);
    if (created) this.scheduleExpiry(roomId, invite);
    return invite;
  }

  /** The invitee answers. Accepting promotes to guest; returns the role one has afterwards. */
  async respond(
    roomId: string,
    who: PeerIdentity,
    inviteId: string,
    accept: boolean,
  ): Promise<{ role: Role }> {
    const found = await this.invites.get(roomId, inviteId);
    // Someone else's invitation is indistinguishable from a missing one.
    if (!found || found.invite.peerId !== who.peerId)
      throw new StagecastError('NO_INVITE', 'You have no such invitation');
    const { invite, state } = found;
    if (state === 'expired' || (state === 'pending' && Date.now() >= invite.expiresAt)) {
      // The process that made it may be gone with its timer: expire it here.
      if (state === 'pending') await this.end(roomId, invite, 'expired');
      throw new StagecastError('INVITE_EXPIRED', 'This invitation has expired');
    }
    if (state !== 'pending') throw new StagecastError('NO_INVITE', `This invitation was already ${state}`);

    if (!accept) {
      await this.end(roomId, invite, 'declined');
      return { role: who.role };
    }
    if (who.role !== 'viewer') throw new StagecastError('BAD_REQUEST', 'You are already on stage');
    // A guest publishes to the router of the process it is connected to: only the owner of the
    // room's media may seat one. Elsewhere the invitation stays open, to accept from the owner.
    await requireMediaOwner(this.ctx.media, roomId);
    const outcome = await this.invites.withStageLock(roomId, async () => {
      await this.takeSeat(roomId, who.peerId);
      const claim = await this.invites.claim(roomId, invite, 'accepted');
      if (claim !== 'claimed') {
        await this.ctx.presence.updateRole(roomId, who.peerId, 'viewer');
        throw claim === 'expired'
          ? new StagecastError('INVITE_EXPIRED', 'This invitation has expired')
          : new StagecastError('NO_INVITE', 'This invitation is no longer open');
      }
      this.clearExpiry(invite.inviteId);
      await this.hands.remove(roomId, who.peerId);
      await this.ctx.roles.setRole(roomId, who.peerId, 'guest', 'invite-accepted');
    });
    if (outcome === LOCK_BUSY) throw new StagecastError('UNAVAILABLE', 'The stage is busy; try again');
    this.notifyEnded(invite, 'accepted', roomId);
    this.onRolesChanged(roomId);
    return { role: 'guest' };
  }

  /**
   * Moves a guest (or, for a host, a co-host) back to the audience; their media is closed at
   * once by RoleService.
   */
  async demote(roomId: string, by: PeerIdentity, peerId: string): Promise<void> {
    requireManager(by);
    const target = await this.ctx.presence.get(roomId, peerId);
    if (!target) {
      // A guest who is offline would come back as a guest: clear the promotion all the same.
      if ((await this.ctx.presence.effectiveRole(roomId, peerId, 'viewer')) !== 'guest') {
        throw new StagecastError('NOT_FOUND', 'That person is not connected to this room');
      }
    } else if (target.role === 'host') {
      throw new StagecastError('FORBIDDEN', 'Hosts cannot be moved to the audience');
    } else if (target.role === 'cohost' && !can(by.role, 'manageCohosts')) {
      throw new StagecastError('FORBIDDEN', 'Only hosts can move co-hosts to the audience');
    } else if (target.role === 'viewer') {
      throw new StagecastError('BAD_REQUEST', 'That person is not on stage');
    }
    await this.ctx.roles.setRole(roomId, peerId, 'viewer', 'demoted');
    this.onRolesChanged(roomId);
  }

  /** A guest steps down from the stage. */
  async leave(roomId: string, who: PeerIdentity): Promise<{ role: Role }> {
    if (who.role !== 'guest') throw new StagecastError('BAD_REQUEST', 'Only guests can leave the stage');
    await this.ctx.roles.setRole(roomId, who.peerId, 'viewer', 'left-stage');
    this.onRolesChanged(roomId);
    return { role: 'viewer' };
  }

  /** The peer's invitation while it can still be answered. */
  async openInviteFor(roomId: string, peerId: string): Promise<StageInvite | null> {
    const inviteId = await this.invites.latestFor(roomId, peerId);
    const found = inviteId ? await this.invites.get(roomId, inviteId) : null;
    return found?.state === 'pending' && found.invite.expiresAt > Date.now() ? found.invite : null;
  }

  /** Cancels the peer's open invitation, if any (disconnected for good, banned). */
  async cancelFor(roomId: string, peerId: string): Promise<void> {
    const inviteId = await this.invites.latestFor(roomId, peerId);
    const found = inviteId ? await this.invites.get(roomId, inviteId) : null;
    if (found?.state === 'pending') await this.end(roomId, found.invite, 'cancelled');
  }

  close(): void {
    this.closed = true;
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
  }

  /** Ends a pending invitation; only the caller that wins the claim tells anyone. */
  private async end(roomId: string, invite: StageInvite, outcome: InviteOutcome): Promise<void> {
    this.clearExpiry(invite.inviteId);
    if ((await this.invites.claim(roomId, invite, outcome)) === 'claimed')
      this.notifyEnded(invite, outcome, roomId);
  }

  private notifyEnded(invite: StageInvite, outcome: InviteOutcome, roomId: string): void {
    this.ctx.io
      .to(channels.managers(roomId))
      .to(channels.peer(roomId, invite.peerId))
      .emit('stage:inviteEnded', { inviteId: invite.inviteId, peerId: invite.peerId, outcome });
  }

  /**
   * Seats the viewer in presence as a guest, atomically with the count, so that co-hosts
   * connecting at the same moment cannot overfill the stage; STAGE_FULL when it is full.
   */
  private async takeSeat(roomId: string, peerId: string): Promise<void> {
    const entry = await this.ctx.presence.get(roomId, peerId);
    if (!entry) throw new StagecastError('NOT_FOUND', 'You are not connected to this room');
    const seated = await this.ctx.presence.takeStageSeat(
      roomId,
      { ...entry, role: 'guest' },
      this.options.maxStage,
    );
    if (!seated)
      throw new StagecastError('STAGE_FULL', `The stage is full (${this.options.maxStage} people)`);
  }

  /** Throws STAGE_FULL when the stage (counted over every process) has no free place. */
  private async requireStageRoom(roomId: string): Promise<void> {
    const onStage = (await this.ctx.presence.list(roomId)).filter((p) => isStageRole(p.role)).length;
    if (onStage >= this.options.maxStage) {
      throw new StagecastError('STAGE_FULL', `The stage is full (${this.options.maxStage} people)`);
    }
  }

  private scheduleExpiry(roomId: string, invite: StageInvite): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.expiryTimers.delete(invite.inviteId);
        void this.end(roomId, invite, 'expired').catch((error: unknown) =>
          this.ctx.logger.warn({ err: error, room: roomId }, 'invitation expiry failed'),
        );
      },
      Math.max(0, invite.expiresAt - Date.now()),
    );
    timer.unref();
    this.expiryTimers.set(invite.inviteId, timer);
  }

  private clearExpiry(inviteId: string): void {
    clearTimeout(this.expiryTimers.get(inviteId));
    this.expiryTimers.delete(inviteId);
  }
}

function requireManager(who: PeerIdentity): void {
  if (!can(who.role, 'manageStage'))
    throw new StagecastError('FORBIDDEN', 'Only hosts and co-hosts manage the stage');
}
