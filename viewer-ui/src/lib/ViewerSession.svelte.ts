import { createContext } from 'svelte';
import { hlsPaths, isStageRole } from '@stagecast/protocol';
import { SyncedTimeline, type LiveState, type LiveStateName, type Role, type Room } from '@stagecast/sdk';
import { DevicePreview } from '@stagecast/stage-ui/DevicePreview.svelte.js';
import { describeError } from '@stagecast/stage-ui/errors.js';
// Type only: the stage (and mediasoup-client with it) is loaded when the viewer goes on stage.
import type { StageSession } from '@stagecast/stage-ui/StageSession.svelte.js';
import { AudienceState, type InviteEnd } from './AudienceState.svelte.js';
import { PlayerState } from './PlayerState.svelte.js';
import { QaState } from '@stagecast/stage-ui/QaState.svelte.js';
import { PollsState } from '@stagecast/stage-ui/PollsState.svelte.js';
import { ReactionsState } from '@stagecast/stage-ui/ReactionsState.svelte.js';

const NOTICE_MS = 6000;

/** The header badge's word for each broadcast state. */
const LIVE_LABELS: Record<LiveStateName, string> = {
  idle: 'Not started',
  starting: 'Starting',
  live: 'Live',
  stopping: 'Ending',
  ended: 'Ended',
  error: 'Interrupted',
};

const INVITE_END_NOTICE: Record<InviteEnd, string | null> = {
  accepted: null,
  declined: null,
  expired: 'The invitation to the stage expired.',
  cancelled: 'The host withdrew the invitation.',
};

/**
 * One viewer's session in a room: the connection, the broadcast, and the way onto the
 * stage and back (audience → invitation → backstage check → stage → audience).
 */
export class ViewerSession {
  live = $state<LiveState>({ state: 'idle' });
  role = $state<Role>('viewer');
  viewers = $state(0);
  activeSpeaker = $state<string | null>(null);
  connection = $state<'connected' | 'reconnecting' | 'closed'>('connected');
  closedMessage = $state<string | null>(null);
  /** A short message that goes away by itself (polite live region). */
  notice = $state<string | null>(null);
  /** The device check after accepting an invitation; null otherwise. */
  backstage = $state<DevicePreview | null>(null);
  /** Set while the invitation answer is on its way. */
  joiningStage = $state(false);
  stageError = $state<string | null>(null);
  /** The live WebRTC stage while this viewer is a guest. */
  stage = $state<StageSession | null>(null);

  readonly liveLabel: string = $derived(LIVE_LABELS[this.live.state]);
  readonly audience: AudienceState;
  readonly qa: QaState;
  readonly player = new PlayerState();
  readonly polls: PollsState;
  readonly reactions: ReactionsState;
  readonly roomName: string;
  readonly selfName: string;

  /** Where the live master playlist is, once there is a broadcast to watch. */
  readonly hlsUrl = $derived.by(() => {
    if (this.live.state !== 'live' && this.live.state !== 'stopping') return null;
    return new URL(this.live.hlsUrl ?? hlsPaths.master(this.room.roomId), location.origin).href;
  });

  readonly #off: (() => void)[] = [];
  /** Set while the stage code loads, so the ack and the notification of one promotion enter once. */
  #entering = false;
  #closed = false;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly room: Room) {
    this.roomName = room.roomName;
    this.selfName = room.self.name;
    this.live = room.live;
    this.role = room.role;
    this.viewers = room.viewers;
    this.activeSpeaker = room.activeSpeakerPeerId;
    this.qa = new QaState(room, (text) => this.notify(text));
    this.polls = new PollsState(
      room,
      (text) => this.notify(text),
      () => false,
    );
    this.reactions = new ReactionsState(room);
    // Chat follows the picture: on stage (player suspended) or without a stream it is immediate.
    this.audience = new AudienceState(
      room,
      { inviteEnded: (outcome) => this.inviteEnded(outcome) },
      new SyncedTimeline(this.player.clock),
    );
    this.#off.push(
      room.on('liveState', (live) => (this.live = live)),
      room.on('audienceCount', (viewers) => (this.viewers = viewers)),
      room.on('activeSpeaker', (peerId) => (this.activeSpeaker = peerId)),
      room.on('roleChanged', (role, reason) => this.roleChanged(role, reason)),
      room.on('reconnecting', () => (this.connection = 'reconnecting')),
      room.on('reconnected', (snapshot) => {
        this.connection = 'connected';
        this.live = snapshot.live;
        this.viewers = snapshot.audience.viewers;
        // The server dropped the old transports with the old connection.
        const stage = this.stage;
        this.roleChanged(snapshot.self.role, 'left-stage');
        if (stage && this.stage === stage) void stage.restart();
      }),
      room.on('closed', (_reason, message) => {
        this.connection = 'closed';
        this.closedMessage = message;
        this.teardownStage();
      }),
    );
    // Rejoining with the token of a guest who is still on stage.
    if (isStageRole(this.role)) this.enterStage();
  }

  /** "Accept" in the invitation: check camera and microphone before answering for real. */
  acceptInvite(): void {
    if (this.backstage || !this.audience.invite) return;
    this.stageError = null;
    const check = new DevicePreview();
    this.backstage = check;
    void check.open();
  }

  async declineInvite(): Promise<void> {
    this.closeBackstage();
    await this.audience.respondInvite(false).catch(() => undefined);
  }

  /** "Join stage" backstage: accept the invitation; the role change then brings the stage. */
  async joinStage(): Promise<void> {
    this.joiningStage = true;
    this.stageError = null;
    try {
      const role = await this.audience.respondInvite(true);
      if (role && isStageRole(role)) this.roleChanged(role, 'invite-accepted');
      else if (!this.stage) this.closeBackstage();
    } catch (error) {
      this.stageError = describeError(error);
      this.closeBackstage();
      this.notify(this.stageError);
    } finally {
      this.joiningStage = false;
    }
  }

  async leaveStage(): Promise<void> {
    try {
      const { role } = await this.room.request('stage:leave', {});
      this.roleChanged(role, 'left-stage');
    } catch (error) {
      this.notify(describeError(error));
    }
  }

  notify(message: string): void {
    clearTimeout(this.#noticeTimer);
    this.notice = message;
    this.#noticeTimer = setTimeout(() => (this.notice = null), NOTICE_MS);
  }

  close(): void {
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    clearTimeout(this.#noticeTimer);
    this.teardownStage();
    this.audience.close();
    this.qa.close();
    this.polls.close();
    this.reactions.close();
    this.room.close();
  }

  /** Applies a role from the server; idempotent, as the ack and the notification both carry it. */
  private roleChanged(role: Role, reason: 'invite-accepted' | 'demoted' | 'left-stage'): void {
    this.role = role;
    if (isStageRole(role)) {
      this.enterStage();
    } else if (this.stage) {
      this.stage.stop();
      this.stage = null;
      // Back at the live edge: what the guest saw live is ~10 s ahead of where HLS paused.
      this.player.resume();
      this.notify(
        reason === 'demoted'
          ? 'The host moved you back to the audience.'
          : 'You left the stage. Back to the live stream.',
      );
    }
  }

  private enterStage(): void {
    if (this.stage || this.#entering) return;
    this.#entering = true;
    const setup = this.backstage?.takeSetup(this.selfName);
    this.backstage = null;
    this.player.suspend();
    void import('@stagecast/stage-ui/StageSession.svelte.js').then(
      ({ StageSession }) => {
        this.#entering = false;
        // Sent back to the audience (or gone) while the stage code was loading.
        if (this.#closed || !isStageRole(this.role)) {
          setup?.camera?.stop();
          setup?.mic?.stop();
          this.player.resume();
          return;
        }
        const stage = new StageSession(this.room, (text) => this.notify(text));
        this.stage = stage;
        stage
          .start(setup)
          .catch((error: unknown) => this.notify(`Could not connect to the stage: ${describeError(error)}`));
      },
      (error: unknown) => {
        this.#entering = false;
        setup?.camera?.stop();
        setup?.mic?.stop();
        this.player.resume();
        this.notify(`Could not load the stage: ${describeError(error)}`);
      },
    );
  }

  private inviteEnded(outcome: InviteEnd): void {
    // An answer in flight settles the invitation itself; only endings we did not cause matter.
    if (this.joiningStage || this.stage || this.#entering) return;
    this.closeBackstage();
    const message = INVITE_END_NOTICE[outcome];
    if (message) this.notify(message);
  }

  private closeBackstage(): void {
    this.backstage?.close();
    this.backstage = null;
  }

  private teardownStage(): void {
    this.closeBackstage();
    this.stage?.stop();
    this.stage = null;
  }
}

export const [getSession, setSession] = createContext<ViewerSession>();
