import {
  ModerationClient,
  type BanEntry,
  type Room,
  type StageEntry,
  type StageMuteSource,
} from '@stagecast/sdk';
import { describeError } from '@stagecast/stage-ui/errors.js';

type Notify = (text: string) => void;

const DEVICE: Record<StageMuteSource, string> = { mic: 'microphone', camera: 'camera' };

/**
 * Bans, role links and the stage (on/off air, mutes) for hosts and co-hosts; the server decides
 * who may do what.
 */
export class ModerationState {
  bans = $state.raw<readonly BanEntry[]>([]);
  /** Why the list could not be loaded, shown in place of it. */
  error = $state<string | null>(null);
  /** The co-host link made by the last rotation (it is not in the snapshot). */
  cohostLink = $state<string | null>(null);
  /** The link being replaced, while the request runs. */
  rotating = $state<'viewer' | 'cohost' | null>(null);
  /** Where promoted viewers arrive on stage. */
  stageEntry = $state<StageEntry>('backstage');
  /** Stage actions in flight, by `<peerId>:<action>`: their buttons are disabled meanwhile. */
  pending = $state.raw<ReadonlySet<string>>(new Set());

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
    this.#client.on('stageEntry', (entry) => (this.stageEntry = entry));
    this.stageEntry = room.snapshot.stageEntry ?? 'backstage';
    this.#off.push(
      room.on('reconnected', (snapshot) => {
        this.stageEntry = snapshot.stageEntry ?? 'backstage';
        void this.refresh();
      }),
    );
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

  async setOnAir(peerId: string, name: string, onAir: boolean): Promise<void> {
    await this.#run(`${peerId}:air`, `Could not change who is on air`, async () => {
      await this.#client.setOnAir(peerId, onAir);
      this.notify(onAir ? `${name} is on air.` : `${name} is backstage.`);
    });
  }

  async mute(peerId: string, name: string, source: StageMuteSource, hard = false): Promise<void> {
    await this.#run(`${peerId}:${source}`, `Could not mute ${name}`, async () => {
      await this.#client.mute(peerId, source, { hard });
      this.notify(
        hard
          ? `${name}'s ${DEVICE[source]} is muted until you lift it.`
          : `${name}'s ${DEVICE[source]} is muted.`,
      );
    });
  }

  async liftHardMute(peerId: string, name: string, source: StageMuteSource): Promise<void> {
    await this.#run(`${peerId}:${source}`, `Could not lift the mute`, async () => {
      await this.#client.liftHardMute(peerId, source);
      this.notify(`${name} can turn their ${DEVICE[source]} back on.`);
    });
  }

  async muteAll(): Promise<void> {
    await this.#run('all:mic', 'Could not mute everyone', async () => {
      const muted = await this.#client.muteAll('mic');
      this.notify(muted === 0 ? 'Nobody else had a microphone on.' : 'Everyone else on stage is muted.');
    });
  }

  async setStageEntry(entry: StageEntry): Promise<void> {
    await this.#run('room:entry', 'Could not change where new guests arrive', async () => {
      this.stageEntry = await this.#client.setStageEntry(entry);
    });
  }

  async #run(key: string, failure: string, action: () => Promise<void>): Promise<void> {
    if (this.pending.has(key)) return;
    this.pending = new Set([...this.pending, key]);
    try {
      await action();
    } catch (error) {
      this.notify(`${failure}: ${describeError(error)}`);
    } finally {
      this.pending = new Set([...this.pending].filter((k) => k !== key));
    }
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#client.close();
  }
}
