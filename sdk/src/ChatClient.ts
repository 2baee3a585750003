import type { ChatMessage, ChatState, ServerToClientEvents } from '@stagecast/protocol';
import { Emitter } from './Emitter.js';
import { StagecastClientError } from './errors.js';
import type { Room } from './Room.js';

/** Events of a ChatClient. */
export interface ChatClientEvents extends Record<string, unknown[]> {
  /** A new message (one's own included, once). */
  message: [message: ChatMessage];
  /** A moderator deleted a message; it is already gone from `messages`. `at`: server time. */
  deleted: [messageId: string, at: number];
  /** The pinned message changed; `null` when unpinned. `at`: server time, to sync it (SyncedTimeline). */
  pinned: [message: ChatMessage | null, at: number];
  /** Slow mode changed: seconds between two messages of one sender, 0 when off. */
  slowMode: [seconds: number];
  /** A moderator muted this client until `until` (ms since the epoch); 0 lifts the mute. */
  muted: [until: number];
  /** The whole state was replaced from a fresh snapshot (after a reconnect). */
  reset: [state: ChatState];
}

export interface ChatClientOptions {
  /** Messages kept in `messages`; older ones are dropped. Default 200 (the server's history). */
  maxMessages?: number;
}

export interface SendOptions {
  /** Your own id for the message (1–64 of `A-Za-z0-9_.:-`); generated when omitted. */
  clientId?: string;
  /**
   * Resends after a connection loss or timeout, or an UNAVAILABLE refusal (the server cannot
   * reach its database; resent after its `retryAfterMs`), with the same clientId. Default 3.
   */
  retries?: number;
}

/** How long `send` waits for a reconnection before giving up a retry. */
const RECONNECT_WAIT_MS = 15_000;

/**
 * The chat of a room: history from the join snapshot, live updates and moderation.
 *
 * ```ts
 * const chat = new ChatClient(room);
 * chat.on('message', (m) => render(m.sender.name, m.text)); // render as text, never as HTML
 * await chat.send('Hello');
 * ```
 *
 * Sending is retry-safe: a resend carries the same `clientId`, and the server stores a
 * message once per clientId, answering a retry with the message it already stored.
 * Refusals reject with StagecastClientError: RATE_LIMITED, SLOW_MODE, CHAT_MUTED (with
 * `retryAfterMs`), BAD_REQUEST (empty or longer than 500 characters), FORBIDDEN.
 */
export class ChatClient extends Emitter<ChatClientEvents> {
  private list: ChatMessage[] = [];
  private readonly ids = new Set<string>();
  private pinnedMessage: ChatMessage | null = null;
  private slowSeconds = 0;
  private mutedUntilMs = 0;
  private readonly maxMessages: number;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly room: Room,
    options: ChatClientOptions = {},
  ) {
    super();
    this.maxMessages = options.maxMessages ?? 200;
    this.apply(room.snapshot.chat);
    this.subscribe('chat:message', (message) => this.add(message));
    this.subscribe('chat:deleted', ({ messageId, at }) => {
      if (this.ids.delete(messageId)) this.list = this.list.filter((m) => m.id !== messageId);
      if (this.pinnedMessage?.id === messageId) this.pinnedMessage = null;
      this.emit('deleted', messageId, at);
    });
    this.subscribe('chat:pinned', ({ message, at }) => {
      this.pinnedMessage = message;
      this.emit('pinned', message, at);
    });
    this.subscribe('chat:slowMode', ({ seconds }) => {
      this.slowSeconds = seconds;
      this.emit('slowMode', seconds);
    });
    this.subscribe('chat:muted', ({ until }) => {
      this.mutedUntilMs = until;
      this.emit('muted', until);
    });
    this.offs.push(
      room.on('reconnected', (snapshot) => {
        this.apply(snapshot.chat);
        this.emit('reset', snapshot.chat);
      }),
    );
  }

  /** Messages, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.list;
  }

  get pinned(): ChatMessage | null {
    return this.pinnedMessage;
  }

  get slowModeSeconds(): number {
    return this.slowSeconds;
  }

  /** Until when (ms since the epoch) this client is muted; 0 or past when not muted. */
  get mutedUntil(): number {
    return this.mutedUntilMs;
  }

  /** Sends a message; resolves with it as stored (server id and time). */
  async send(text: string, options: SendOptions = {}): Promise<ChatMessage> {
    const clientId = options.clientId ?? newClientId();
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        const message = await this.room.request('chat:send', { clientId, text });
        this.add(message);
        return message;
      } catch (error) {
        // Only a lost answer or a server that cannot serve now is retried: the message may or
        // may not be stored, and the same clientId makes the retry safe either way.
        if (!(error instanceof StagecastClientError) || error.code !== 'UNAVAILABLE' || attempt >= retries)
          throw error;
        await this.untilConnected(error.retryAfterMs);
      }
    }
  }

  /** Deletes a message for everyone (hosts and co-hosts). */
  async delete(messageId: string): Promise<void> {
    await this.room.request('chat:delete', { messageId });
  }

  /** Pins a message for everyone, or unpins with `null` (hosts and co-hosts). */
  async pin(messageId: string | null): Promise<void> {
    await this.room.request('chat:pin', { messageId });
  }

  unpin(): Promise<void> {
    return this.pin(null);
  }

  /** Mutes someone for `seconds` (0 lifts a mute); resolves with the end of the mute. */
  async mute(peerId: string, seconds: number): Promise<number> {
    return (await this.room.request('chat:mute', { peerId, seconds })).until;
  }

  async unmute(peerId: string): Promise<void> {
    await this.mute(peerId, 0);
  }

  /** Seconds between two messages of one sender (hosts and co-hosts are exempt); 0 turns it off. */
  async setSlowMode(seconds: number): Promise<void> {
    await this.room.request('chat:slowMode', { seconds });
  }

  /**
   * Removes someone from the room: their identity (whatever name they take next) and, for new
   * viewer-link identities, their address; their connection closes. Hosts can ban co-hosts;
   * nobody can ban a host. `ModerationClient` lists and lifts bans.
   */
  async ban(peerId: string, reason?: string): Promise<void> {
    await this.room.request('room:ban', reason === undefined ? { peerId } : { peerId, reason });
  }

  /** Stops listening; the room stays connected. */
  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.removeAllListeners();
  }

  private apply(state: ChatState): void {
    this.list = state.messages.slice(-this.maxMessages);
    this.ids.clear();
    for (const m of this.list) this.ids.add(m.id);
    this.pinnedMessage = state.pinned;
    this.slowSeconds = state.slowModeSeconds;
  }

  /** Adds a message once: one's own arrives both as the ack and as the broadcast. */
  private add(message: ChatMessage): void {
    if (this.ids.has(message.id)) return;
    this.ids.add(message.id);
    this.list.push(message);
    if (this.list.length > this.maxMessages) {
      for (const dropped of this.list.splice(0, this.list.length - this.maxMessages))
        this.ids.delete(dropped.id);
    }
    this.emit('message', message);
  }

  /** While connected, waits the server's `retryAfterMs` (an outage of its database), or 500 ms. */
  private untilConnected(retryAfterMs = 500): Promise<void> {
    if (this.room.connected) return new Promise((resolve) => setTimeout(resolve, retryAfterMs));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, RECONNECT_WAIT_MS);
      const off = this.room.on('reconnected', done);
    });
  }

  private subscribe<E extends keyof ServerToClientEvents>(event: E, listener: ServerToClientEvents[E]): void {
    this.offs.push(this.room.subscribe(event, listener));
  }
}

/** A random message id; `crypto.randomUUID` is missing outside secure contexts, so fall back. */
function newClientId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = c.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
