import { ChatClient, type ChatMessage, type Room } from '@stagecast/sdk';
import { describeError } from '@stagecast/stage-ui/errors.js';

type Notify = (text: string) => void;

/**
 * The chat and its moderation. Every chat call of the app goes through here (and the SDK's
 * ChatClient), so the wire details live in one place.
 */
export class ChatState {
  messages = $state.raw<readonly ChatMessage[]>([]);
  pinned = $state.raw<ChatMessage | null>(null);
  slowModeSeconds = $state(0);
  mutedUntil = $state(0);
  sending = $state(false);
  /** Why the last send failed (rate limit, slow mode, muted…), shown under the composer. */
  sendError = $state<string | null>(null);
  /** Messages that arrived while the chat tab was not shown. */
  unread = $state(0);
  /** Set by the layout: whether the chat is on screen. */
  visible = $state(false);

  readonly #client: ChatClient;

  constructor(
    room: Room,
    private readonly notify: Notify,
  ) {
    this.#client = new ChatClient(room);
    this.#sync();
    const c = this.#client;
    c.on('message', () => {
      this.#sync();
      if (!this.visible) this.unread += 1;
    });
    c.on('deleted', () => this.#sync());
    c.on('pinned', () => this.#sync());
    c.on('slowMode', () => this.#sync());
    c.on('muted', () => this.#sync());
    c.on('reset', () => this.#sync());
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) this.unread = 0;
  }

  /** Resolves true when sent; the caller keeps the draft otherwise so nothing typed is lost. */
  async send(text: string): Promise<boolean> {
    const trimmed = text.trim();
    if (!trimmed || this.sending) return false;
    this.sending = true;
    this.sendError = null;
    try {
      await this.#client.send(trimmed);
      return true;
    } catch (error) {
      this.sendError = describeError(error);
      return false;
    } finally {
      this.sending = false;
    }
  }

  delete(message: ChatMessage): Promise<void> {
    return this.#act(() => this.#client.delete(message.id), 'delete the message');
  }

  pin(message: ChatMessage | null): Promise<void> {
    return this.#act(
      () => this.#client.pin(message?.id ?? null),
      message ? 'pin the message' : 'unpin the message',
    );
  }

  mute(peerId: string, name: string, seconds: number): Promise<void> {
    return this.#act(async () => {
      await this.#client.mute(peerId, seconds);
      this.notify(`${name} is muted in the chat for ${Math.round(seconds / 60)} min.`);
    }, `mute ${name}`);
  }

  ban(peerId: string, name: string): Promise<void> {
    return this.#act(async () => {
      await this.#client.ban(peerId);
      this.notify(`${name} was removed from the room.`);
    }, `remove ${name}`);
  }

  setSlowMode(seconds: number): Promise<void> {
    return this.#act(() => this.#client.setSlowMode(seconds), 'change slow mode');
  }

  close(): void {
    this.#client.close();
  }

  async #act(call: () => Promise<void>, what: string): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.notify(`Could not ${what}: ${describeError(error)}`);
    }
  }

  #sync(): void {
    this.messages = [...this.#client.messages];
    this.pinned = this.#client.pinned;
    this.slowModeSeconds = this.#client.slowModeSeconds;
    this.mutedUntil = this.#client.mutedUntil;
  }
}
