import { RestreamClient, type RestreamDestination, type RestreamInput, type Room } from '@stagecast/sdk';
import { describeError } from '@stagecast/stage-ui/errors.js';

/**
 * The room's restream destinations, for the host: the list with each one's status (pushed
 * by the server as it changes), adding and removing. Co-hosts and guests never load it (the
 * server would refuse them).
 */
export class RestreamsState {
  destinations = $state.raw<RestreamDestination[]>([]);
  busy = $state(false);
  error = $state<string | null>(null);

  readonly #client: RestreamClient;
  readonly #off: (() => void)[] = [];

  constructor(room: Room, enabled: () => boolean) {
    this.#client = new RestreamClient(room);
    this.#off.push(
      this.#client.on('destinations', (list) => (this.destinations = list)),
      room.on('reconnected', () => void this.#load(enabled())),
      // Statuses are the live broadcast's: going live or off air changes every one of them.
      room.on('liveState', () => void this.#load(enabled())),
    );
    void this.#load(enabled());
  }

  /** Resolves true when the destination was added (the form then clears). */
  async add(input: RestreamInput): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    try {
      const added = await this.#client.add(input);
      if (!this.destinations.some((d) => d.id === added.id))
        this.destinations = [...this.destinations, added];
      return true;
    } catch (error) {
      this.error = `Could not add the destination: ${describeError(error)}`;
      return false;
    } finally {
      this.busy = false;
    }
  }

  async remove(id: string): Promise<void> {
    this.error = null;
    try {
      await this.#client.remove(id);
      this.destinations = this.destinations.filter((d) => d.id !== id);
    } catch (error) {
      this.error = `Could not remove the destination: ${describeError(error)}`;
    }
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#client.close();
  }

  async #load(enabled: boolean): Promise<void> {
    if (!enabled) return;
    try {
      this.destinations = await this.#client.list();
    } catch (error) {
      this.error = `Could not load the restream destinations: ${describeError(error)}`;
    }
  }
}
