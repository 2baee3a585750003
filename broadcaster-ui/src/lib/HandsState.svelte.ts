import { HandsClient, type AudienceMember, type HandEntry, type Room } from '@stagecast/sdk';
import { describeError } from '@stagecast/stage-ui/errors.js';

type Notify = (text: string) => void;

/** Refreshing the audience on every count change would flood a big room; once a second is plenty. */
const AUDIENCE_REFRESH_MS = 1000;

/**
 * Raised hands, invitations and the audience list, for hosts and co-hosts. Every hands and
 * promotion call of the app goes through here (and the SDK's HandsClient).
 */
export class HandsState {
  queue = $state.raw<readonly HandEntry[]>([]);
  audience = $state.raw<AudienceMember[]>([]);
  /** Peer ids with an open invitation sent from here. */
  invited = $state.raw<ReadonlySet<string>>(new Set());
  /** Whether the people panel is on screen: the audience list is only fetched then. */
  visible = $state(false);
  audienceError = $state<string | null>(null);

  readonly #client: HandsClient;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #lastRefresh = 0;

  constructor(
    room: Room,
    private readonly notify: Notify,
    private readonly canManage: () => boolean,
  ) {
    const c = (this.#client = new HandsClient(room));
    this.queue = c.queue;
    c.on('queue', (queue) => {
      this.queue = queue;
      this.#scheduleRefresh();
    });
    c.on('inviteEnded', (ended) => {
      this.#syncInvites();
      const name = this.#nameOf(ended.peerId);
      if (ended.outcome === 'declined') this.notify(`${name} declined the invitation.`);
      else if (ended.outcome === 'expired') this.notify(`The invitation to ${name} expired.`);
      this.#scheduleRefresh();
    });
    c.on('audienceCount', () => this.#scheduleRefresh());
  }

  show(visible: boolean): void {
    this.visible = visible;
    if (visible) void this.refreshAudience();
  }

  async refreshAudience(): Promise<void> {
    if (!this.canManage()) return;
    this.#lastRefresh = Date.now();
    try {
      this.audience = await this.#client.listAudience();
      this.audienceError = null;
    } catch (error) {
      this.audienceError = describeError(error);
    }
  }

  async invite(peerId: string, name: string): Promise<void> {
    try {
      await this.#client.invite(peerId);
      this.#syncInvites();
      this.notify(`Invitation sent to ${name}.`);
    } catch (error) {
      this.notify(`Could not invite ${name}: ${describeError(error)}`);
    }
  }

  dismiss(peerId: string, name: string): Promise<void> {
    return this.#act(() => this.#client.dismiss(peerId), `lower ${name}'s hand`);
  }

  lowerAll(): Promise<void> {
    return this.#act(() => this.#client.lowerAll(), 'lower all hands');
  }

  demote(peerId: string, name: string): Promise<void> {
    return this.#act(async () => {
      await this.#client.demote(peerId);
      this.notify(`${name} is back in the audience.`);
    }, `move ${name} to the audience`);
  }

  close(): void {
    clearTimeout(this.#refreshTimer);
    this.#client.close();
  }

  async #act(call: () => Promise<void>, what: string): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.notify(`Could not ${what}: ${describeError(error)}`);
    }
  }

  #syncInvites(): void {
    this.invited = new Set(this.#client.sentInvites.map((i) => i.peerId));
  }

  #nameOf(peerId: string): string {
    return (
      this.queue.find((h) => h.peerId === peerId)?.name ??
      this.audience.find((m) => m.peerId === peerId)?.name ??
      'The viewer'
    );
  }

  #scheduleRefresh(): void {
    if (!this.visible || this.#refreshTimer !== undefined) return;
    const wait = Math.max(0, this.#lastRefresh + AUDIENCE_REFRESH_MS - Date.now());
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      void this.refreshAudience();
    }, wait);
  }
}
