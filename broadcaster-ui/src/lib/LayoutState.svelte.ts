import type { LayoutChoice, LayoutMode, Room } from '@stagecast/sdk';
import { describeError, errorCode } from '@stagecast/stage-ui/errors.js';
import { defaultPin } from './layouts.js';

/** Who is on stage now, in tile order, and who is talking (read from the stage state). */
export interface StagePeople {
  peerIds: readonly string[];
  speaker: string | null;
}

/**
 * The composite's layout as hosts chose it: the room's current choice (whoever made it: this
 * host, another one, the REST API) and the request that changes it. Works before going live
 * too: the server keeps the choice for when the broadcast starts.
 */
export class LayoutState {
  choice = $state.raw<LayoutChoice>({ mode: 'auto', pinnedPeerId: null });
  /** The choice being requested; the control is disabled meanwhile. */
  pending = $state.raw<LayoutChoice | null>(null);
  error = $state<string | null>(null);

  /** The pinned person while `spotlight` is chosen and they are on stage; null otherwise. */
  readonly pinned: string | null = $derived.by(() => {
    const id = this.choice.mode === 'spotlight' ? this.choice.pinnedPeerId : null;
    return id !== null && this.onStage().peerIds.includes(id) ? id : null;
  });

  readonly #off: (() => void)[] = [];

  constructor(
    private readonly room: Room,
    private readonly onStage: () => StagePeople,
  ) {
    this.choice = room.layout;
    // The SDK also emits this after a reconnection when the choice changed meanwhile.
    this.#off.push(room.on('layoutChanged', (choice) => (this.choice = choice)));
  }

  /** Picks a mode; `spotlight` keeps its person, or pins whoever fits best (see `defaultPin`). */
  async chooseMode(mode: LayoutMode): Promise<void> {
    const { peerIds, speaker } = this.onStage();
    const pinnedPeerId = mode === 'spotlight' ? defaultPin(peerIds, this.choice.pinnedPeerId, speaker) : null;
    await this.#choose({ mode, pinnedPeerId });
  }

  /** Puts one person in the spotlight. */
  async pin(peerId: string): Promise<void> {
    await this.#choose({ mode: 'spotlight', pinnedPeerId: peerId });
  }

  /** Takes the pinned person out of the spotlight: back to the automatic layout. */
  async unpin(): Promise<void> {
    await this.#choose({ mode: 'auto', pinnedPeerId: null });
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
  }

  async #choose(choice: LayoutChoice): Promise<void> {
    if (this.pending) return;
    if (choice.mode === this.choice.mode && choice.pinnedPeerId === this.choice.pinnedPeerId) return;
    this.pending = choice;
    this.error = null;
    try {
      await this.room.setLayout(choice);
      // The room's choice, not the answer: a newer change by another host may have come first.
      this.choice = this.room.layout;
    } catch (error) {
      // NOT_FOUND here is about the person to pin, not the room (the generic message says room).
      const reason =
        errorCode(error) === 'NOT_FOUND' ? 'That person is no longer on stage.' : describeError(error);
      this.error = `Could not change the layout: ${reason}`;
    } finally {
      this.pending = null;
    }
  }
}
