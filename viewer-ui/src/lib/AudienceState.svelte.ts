import { ChatClient, HandsClient, StagecastClientError, SyncedTimeline } from '@stagecast/sdk';
import type { ChatMessage, ChatState, HandEntry, Role, Room, StageInvite } from '@stagecast/sdk';
import { newId } from './ids.js';

/** Longest chat history kept in memory; older lines scroll away. */
const MAX_MESSAGES = 300;
/** Where the viewer's "Show messages at once" choice is kept. */
const AT_ONCE_KEY = 'stagecast:chatAtOnce';
export const MAX_CHAT_LENGTH = 500;

/** A chat line; `pending` until the server has stored it. */
export interface ChatEntry extends ChatMessage {
  pending?: boolean;
}

/** Why the last send was refused, and until when sending is pointless. */
export interface ChatRefusal {
  code: string;
  message: string;
  /** ms since the epoch; null when waiting will not help. */
  until: number | null;
}

export type InviteEnd = 'accepted' | 'declined' | 'expired' | 'cancelled';

export interface AudienceCallbacks {
  /** The pending invitation is gone (expired, withdrawn, answered elsewhere). */
  inviteEnded(outcome: InviteEnd): void;
}

/**
 * Chat, the raised hand and invitations to the stage, as Svelte state over the SDK's
 * ChatClient and HandsClient: every chat/hands call of the viewer goes through this class.
 */
export class AudienceState {
  messages = $state<ChatEntry[]>([]);
  pinned = $state<ChatMessage | null>(null);
  slowModeSeconds = $state(0);
  /** Muted by a moderator until then (ms since the epoch). */
  mutedUntil = $state(0);
  /** Slow mode: the next message is accepted from then on. */
  nextSendAt = $state(0);
  refusal = $state<ChatRefusal | null>(null);

  hand = $state<HandEntry | null>(null);
  handBusy = $state(false);
  handError = $state<string | null>(null);
  invite = $state<StageInvite | null>(null);
  /**
   * The viewer chose to see messages as they arrive, not when the picture shows their moment
   * (the picture is seconds behind). Off by default; remembered in this browser.
   */
  atOnce = $state(false);

  readonly #room: Room;
  readonly #chat: ChatClient;
  readonly #hands: HandsClient;
  readonly #callbacks: AudienceCallbacks;
  readonly #timeline: SyncedTimeline;
  /** Deleted while held: never shown when its moment comes. */
  readonly #deleted = new Set<string>();
  #expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(room: Room, callbacks: AudienceCallbacks, timeline: SyncedTimeline) {
    this.#room = room;
    this.#callbacks = callbacks;
    this.#timeline = timeline;
    this.atOnce = readAtOnce();
    timeline.enabled = !this.atOnce;
    this.#chat = new ChatClient(room, { maxMessages: MAX_MESSAGES });
    this.#hands = new HandsClient(room);
    this.applyChat(room.snapshot.chat);
    this.mutedUntil = this.#chat.mutedUntil;
    this.hand = this.#hands.mine;
    this.listen();
  }

  /** Sends a chat line; resolves false (with `refusal` set) if the server refused it. */
  async send(raw: string): Promise<boolean> {
    const text = raw.trim();
    if (!text) return false;
    const clientId = newId();
    const self = this.#room.self;
    // Shown at once, greyed, so typing feels instant on a slow link.
    this.addMessage({
      id: `pending:${clientId}`,
      clientId,
      text,
      ts: Date.now(),
      sender: self,
      pending: true,
    });
    try {
      this.addMessage(await this.#chat.send(text, { clientId }));
      this.refusal = null;
      if (this.slowModeSeconds > 0) this.nextSendAt = Date.now() + this.slowModeSeconds * 1000;
      return true;
    } catch (error) {
      this.messages = this.messages.filter((m) => m.clientId !== clientId);
      this.refusal = refusalOf(error);
      if (this.refusal.code === 'CHAT_MUTED' && this.refusal.until) this.mutedUntil = this.refusal.until;
      return false;
    }
  }

  /** "Show messages at once": on delivers everything held now. */
  setAtOnce(value: boolean): void {
    this.atOnce = value;
    this.#timeline.enabled = !value;
    try {
      localStorage.setItem(AT_ONCE_KEY, value ? '1' : '0');
    } catch {
      // Storage can be blocked in third-party iframes: the choice lasts for this page.
    }
  }

  async raiseHand(question: string): Promise<void> {
    const q = question.trim();
    await this.handRequest(async () => {
      this.hand = await this.#hands.raise(q || undefined);
    });
  }

  async lowerHand(): Promise<void> {
    await this.handRequest(async () => {
      await this.#hands.lower();
      this.hand = null;
    });
  }

  /** Answers the pending invitation; resolves with the role the server gave. */
  async respondInvite(accept: boolean): Promise<Role | null> {
    const invite = this.invite;
    if (!invite) return null;
    try {
      if (!accept) {
        await this.#hands.decline(invite.inviteId);
        return null;
      }
      return await this.#hands.accept(invite.inviteId);
    } finally {
      if (this.invite?.inviteId === invite.inviteId) this.clearInvite();
    }
  }

  close(): void {
    this.#timeline.close();
    this.#chat.close();
    this.#hands.close();
    clearTimeout(this.#expiryTimer);
  }

  private async handRequest(run: () => Promise<void>): Promise<void> {
    this.handBusy = true;
    this.handError = null;
    try {
      await run();
    } catch (error) {
      this.handError = error instanceof Error ? error.message : 'That did not work';
    } finally {
      this.handBusy = false;
    }
  }

  private addMessage(message: ChatEntry): void {
    // The sender gets its own message twice (ack and broadcast): keep one, in place.
    const index = this.messages.findIndex((m) => m.id === message.id || m.clientId === message.clientId);
    if (index >= 0) this.messages[index] = message;
    else this.messages.push(message);
    if (this.messages.length > MAX_MESSAGES) this.messages.splice(0, this.messages.length - MAX_MESSAGES);
  }

  private clearInvite(): void {
    this.invite = null;
    clearTimeout(this.#expiryTimer);
  }

  /** Starts over from a snapshot (after a reconnection messages may have been missed). */
  private applyChat(state: ChatState): void {
    const pending = this.messages.filter((m) => m.pending);
    this.messages = [...state.messages, ...pending].slice(-MAX_MESSAGES);
    this.pinned = state.pinned;
    this.slowModeSeconds = state.slowModeSeconds;
  }

  private listen(): void {
    const chat = this.#chat;
    // Others' messages are shown when the picture reaches the moment they were sent; one's own
    // at once (it answers what one typed). Deletions too: a removed line must never appear.
    chat.on('message', (message) => {
      if (message.sender.peerId === this.#room.self.peerId) this.addMessage(message);
      else
        this.#timeline.hold(message.ts, () => {
          if (!this.#deleted.has(message.id)) this.addMessage(message);
        });
    });
    chat.on('deleted', (messageId) => {
      this.#deleted.add(messageId);
      this.messages = this.messages.filter((m) => m.id !== messageId);
      if (this.pinned?.id === messageId) this.pinned = null;
    });
    chat.on('pinned', (message, at) =>
      this.#timeline.hold(at, () => {
        if (!message || !this.#deleted.has(message.id)) this.pinned = message;
      }),
    );
    chat.on('slowMode', (seconds) => {
      this.slowModeSeconds = seconds;
      if (seconds === 0) this.nextSendAt = 0;
    });
    chat.on('muted', (until) => (this.mutedUntil = until));
    chat.on('reset', (state) => this.applyChat(state));

    const hands = this.#hands;
    hands.on('mine', (entry) => (this.hand = entry));
    hands.on('invited', (invite) => this.showInvite(invite));
    hands.on('inviteEnded', ({ inviteId, outcome }) => this.endInvite(inviteId, outcome));
    // Invited before this page loaded (a reload): the invitation is still open.
    if (hands.pendingInvite) this.showInvite(hands.pendingInvite);
  }

  private showInvite(invite: StageInvite): void {
    this.clearInvite();
    this.invite = invite;
    // The server announces expiry too; this covers a lost notification.
    this.#expiryTimer = setTimeout(
      () => this.endInvite(invite.inviteId, 'expired'),
      Math.max(0, invite.expiresAt - Date.now()) + 2000,
    );
  }

  private endInvite(inviteId: string, outcome: InviteEnd): void {
    if (this.invite?.inviteId !== inviteId) return;
    this.clearInvite();
    this.#callbacks.inviteEnded(outcome);
  }
}

function readAtOnce(): boolean {
  try {
    return localStorage.getItem(AT_ONCE_KEY) === '1';
  } catch {
    return false;
  }
}

function refusalOf(error: unknown): ChatRefusal {
  if (!(error instanceof StagecastClientError)) {
    return { code: 'INTERNAL', message: 'The message could not be sent', until: null };
  }
  const until = error.retryAfterMs !== undefined ? Date.now() + error.retryAfterMs : null;
  switch (error.code) {
    case 'RATE_LIMITED':
      return { code: error.code, message: 'You are sending messages too fast.', until };
    case 'SLOW_MODE':
      return { code: error.code, message: 'Slow mode is on.', until };
    case 'CHAT_MUTED':
      return { code: error.code, message: 'A moderator has muted you in the chat.', until };
    default:
      return { code: error.code, message: error.message, until };
  }
}
