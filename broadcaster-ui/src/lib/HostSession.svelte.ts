import { can, isStageRole } from '@stagecast/protocol';
import type { ConnectErrorData, ErrorCode, Role, Room } from '@stagecast/sdk';
import { BroadcastState } from './BroadcastState.svelte.js';
import { ChatState } from './ChatState.svelte.js';
import { describeError } from '@stagecast/stage-ui/errors.js';
import { closedNotice, type EndNotice } from './endNotice.js';
import { HandsState } from './HandsState.svelte.js';
import { LayoutState } from './LayoutState.svelte.js';
import { ModerationState } from './ModerationState.svelte.js';
import { QaState } from '@stagecast/stage-ui/QaState.svelte.js';
import type { LocalSetup } from '@stagecast/stage-ui/media.js';
import { StageSession } from '@stagecast/stage-ui/StageSession.svelte.js';
import { PollsState } from '@stagecast/stage-ui/PollsState.svelte.js';
import { ReactionsState } from '@stagecast/stage-ui/ReactionsState.svelte.js';
import { RestreamsState } from './RestreamsState.svelte.js';

export interface Notice {
  id: number;
  text: string;
}

const NOTICE_MS = 6000;

/** Connection refusals that no amount of reconnecting will fix. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set([
  'TOKEN_EXPIRED',
  'TOKEN_INVALID',
  'BANNED',
  'LINK_REVOKED',
  'ROOM_NOT_FOUND',
  'ROOM_CLOSED',
  'WRONG_ROOM',
]);

function refusalNotice(code: ErrorCode, message: string): EndNotice {
  switch (code) {
    case 'BANNED':
      return closedNotice('banned', message);
    case 'TOKEN_EXPIRED':
      return closedNotice('token-expired', message);
    case 'LINK_REVOKED':
      return closedNotice('link-rotated', message);
    case 'ROOM_NOT_FOUND':
    case 'ROOM_CLOSED':
      return closedNotice('deleted', message);
    default:
      return closedNotice('disconnected', message);
  }
}

/**
 * One person's session in the studio: the room connection and its parts (stage, broadcast,
 * layout, chat, hands). Components get it from context; nothing here is a module singleton.
 */
export class HostSession {
  role = $state<Role>('viewer');
  connection = $state<'connected' | 'reconnecting'>('connected');
  /** Set once the session is over; the app then shows the end screen. */
  ended = $state<EndNotice | null>(null);
  notices = $state.raw<Notice[]>([]);

  readonly canManage: boolean = $derived(can(this.role, 'manageStage'));
  readonly canModerate: boolean = $derived(can(this.role, 'moderate'));
  readonly canBroadcast: boolean = $derived(can(this.role, 'broadcast'));
  readonly canManageCohosts: boolean = $derived(can(this.role, 'manageCohosts'));
  readonly canManageLinks: boolean = $derived(can(this.role, 'manageLinks'));
  readonly canManagePolls: boolean = $derived(can(this.role, 'managePolls'));

  readonly stage: StageSession;
  readonly broadcast: BroadcastState;
  readonly layout: LayoutState;
  readonly chat: ChatState;
  readonly hands: HandsState;
  readonly moderation: ModerationState;
  readonly qa: QaState;
  readonly polls: PollsState;
  readonly reactions: ReactionsState;
  readonly restreams: RestreamsState;

  #nextNotice = 1;
  #closed = false;
  readonly #off: (() => void)[] = [];

  constructor(readonly room: Room) {
    this.role = room.role;
    const notify = (text: string) => this.notify(text);
    this.stage = new StageSession(room, notify);
    this.broadcast = new BroadcastState(room);
    this.layout = new LayoutState(room, () => ({
      // The picture's people: someone backstage cannot be pinned large on air.
      peerIds: this.stage.tiles.filter((t) => t.onAir).map((t) => t.peerId),
      speaker: this.stage.activeSpeaker,
    }));
    this.chat = new ChatState(room, notify);
    this.hands = new HandsState(room, notify, () => this.canManage);
    this.qa = new QaState(room, notify);
    this.moderation = new ModerationState(
      room,
      notify,
      () => this.canModerate,
      (link) => this.broadcast.setViewerLink(link),
    );

    this.polls = new PollsState(room, notify, () => this.canManagePolls);
    this.reactions = new ReactionsState(room);
    this.restreams = new RestreamsState(room, () => this.canBroadcast);

    this.#off.push(
      room.on('reconnecting', () => (this.connection = 'reconnecting')),
      room.on('reconnected', (snapshot) => {
        this.connection = 'connected';
        this.role = snapshot.self.role;
        void this.#restartStage();
      }),
      room.on('roleChanged', (role, reason) => {
        this.role = role;
        if (!isStageRole(role)) {
          this.#end({
            title: 'You are in the audience',
            message:
              reason === 'demoted'
                ? 'A host moved you back to the audience. Open the viewer link to keep watching.'
                : 'You left the stage. Open the viewer link to keep watching.',
            canRejoin: false,
          });
        }
      }),
      room.on('closed', (reason, message) => this.#end(closedNotice(reason, message))),
    );
    // A refused reconnection (expired token, ban, room gone) is not retried by Socket.IO:
    // end with the reason rather than showing "Reconnecting…" forever.
    const onConnectError = (error: Error & { data?: ConnectErrorData }) => {
      const code = error.data?.code;
      // Over the connection limit: the SDK connects again once the server's wait is over.
      if (code === 'RATE_LIMITED') return;
      if (code && FATAL_CODES.has(code)) this.#end(refusalNotice(code, describeError(error)));
      else if (!room.socket.active) this.#end(closedNotice('disconnected', describeError(error)));
    };
    room.socket.on('connect_error', onConnectError);
    this.#off.push(() => room.socket.off('connect_error', onConnectError));
  }

  /** Joins the stage with the devices chosen before joining. */
  async start(setup: LocalSetup): Promise<void> {
    try {
      await this.stage.start(setup);
    } catch (error) {
      this.notify(`Could not connect to the stage: ${describeError(error)}`);
    }
  }

  notify(text: string): void {
    const notice = { id: this.#nextNotice++, text };
    this.notices = [...this.notices, notice].slice(-4);
    setTimeout(() => this.dismissNotice(notice.id), NOTICE_MS);
  }

  dismissNotice(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Leaves the room on purpose. */
  leave(): void {
    this.#end(closedNotice('left', ''));
  }

  /** Releases devices and the connection; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    this.stage.stop();
    this.broadcast.close();
    this.layout.close();
    this.chat.close();
    this.hands.close();
    this.moderation.close();
    this.qa.close();
    this.polls.close();
    this.reactions.close();
    this.restreams.close();
    this.room.close();
  }

  #end(notice: EndNotice): void {
    if (this.ended) return;
    this.ended = notice;
    this.close();
  }

  async #restartStage(): Promise<void> {
    // The network can still be flaky right after a reconnect: try a few times, a bit apart.
    for (let attempt = 1; attempt <= 3 && !this.#closed; attempt++) {
      try {
        await this.stage.restart();
        return;
      } catch (error) {
        if (attempt === 3)
          this.notify(`Could not reconnect your camera and microphone: ${describeError(error)}`);
        else await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
  }
}
