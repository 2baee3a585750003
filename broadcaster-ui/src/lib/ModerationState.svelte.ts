import { ModerationClient, type BanEntry, type Room } from '@stagecast/sdk';
import { describeError } from '@stagecast/stage-ui/errors.js';

type Notify = (text: string) => void;

/** Bans and role links for hosts and co-hosts; the server decides who may do what. */
export class ModerationState {
  bans = $state.raw<readonly BanEntry[]>([]);
  /** Why the list could not be loaded, shown in place of it. */
  error = $state<string | null>(null);
  /** The co-host link made by the last rotation (it is not in the snapshot). */
  cohostLink = $state<string | null>(null);
  /** The link being replaced, while the request runs. */
  rotating = $state<'viewer' | 'cohost' | null>(null);

  readonly #client: ModerationClient;
  readonly #off: (() => void)[] = [];

  constructor(
    room: Room,
    private readonly notify: Notify,
    /** Whether this person may see bans (the role can change during the session). */
    private readonly canModerate: () => boolean,
    /** Called with the new viewer link, whoever rotated it. */
    private readonly onViewerLink: (link: string) => void,
  ) {
    this.#client = new ModerationClient(room);
    this.#client.on('bans', (bans) => (this.bans = bans));
    this.#client.on('viewerLink', (link) => this.onViewerLink(link));
    this.#off.push(room.on('reconnected', () => void this.refresh()));
    void this.refresh();
  }

  async refresh(): Promise<void> {
    if (!this.canModerate()) return;
    try {
      this.bans = await this.#client.bans();
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
    }
  }

  async unban(ban: BanEntry): Promise<void> {
    try {
      await this.#client.unban(ban.peerId);
      this.notify(`${ban.name || 'That person'} can join again.`);
    } catch (error) {
      this.notify(`Could not lift the ban: ${describeError(error)}`);
    }
  }

  async rotate(link: 'viewer' | 'cohost'): Promise<void> {
    this.rotating = link;
    try {
      const { link: url } = await this.#client.rotateLink(link);
      if (link === 'cohost') this.cohostLink = new URL(url, location.origin).href;
      this.notify(
        link === 'viewer'
          ? 'New viewer link ready; the old one no longer works.'
          : 'New co-host link ready; the old one no longer works.',
      );
    } catch (error) {
      this.notify(`Could not replace the link: ${describeError(error)}`);
    } finally {
      this.rotating = null;
    }
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#client.close();
  }
}
