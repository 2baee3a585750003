import { isStageRole, StagecastError, type LayoutChoice } from '@stagecast/protocol';
import type { IngestContext } from '../core/context.js';
import { channels } from '../core/channels.js';
import type { LayoutStore } from './LayoutStore.js';

/**
 * The layout hosts choose for the composite (socket request and REST). The choice is kept in
 * Redis; every process's compositor bridge is told, because the room's stage (and so the
 * snapshot that carries the choice) lives on whichever process holds its router.
 */
export class LayoutService {
  constructor(
    private readonly ctx: Pick<IngestContext, 'io' | 'presence' | 'rooms'>,
    private readonly store: LayoutStore,
    /** Called on every process when a room's choice changed (the bridge re-sends the stage). */
    private readonly onChanged: (roomId: string) => void,
  ) {
    ctx.io.on('layoutChanged', (roomId) => this.onChanged(roomId));
  }

  get(roomId: string): Promise<LayoutChoice> {
    return this.store.get(roomId);
  }

  /**
   * Validates and saves a choice, tells everyone in the room and the compositor. A spotlight
   * needs someone on stage to pin (BAD_REQUEST without a pin, NOT_FOUND for someone not on
   * stage). Other modes ignore the pin, so it is kept as given and not checked.
   */
  async choose(roomId: string, choice: LayoutChoice): Promise<LayoutChoice> {
    if (choice.mode === 'spotlight') {
      if (choice.pinnedPeerId === null) {
        throw new StagecastError(
          'BAD_REQUEST',
          'Invalid request: pinnedPeerId: spotlight needs the person to show large',
        );
      }
      if (!(await this.isOnStage(roomId, choice.pinnedPeerId))) {
        throw new StagecastError('NOT_FOUND', 'pinnedPeerId: that person is not on stage');
      }
    }
    const saved: LayoutChoice = { mode: choice.mode, pinnedPeerId: choice.pinnedPeerId };
    await this.store.set(roomId, saved);
    // Through the adapter: clients on every process hear it.
    this.ctx.io.to(channels.room(roomId)).emit('broadcast:layout', saved);
    this.onChanged(roomId);
    this.ctx.io.serverSideEmit('layoutChanged', roomId);
    return saved;
  }

  /** The room's deletion: its choice goes with it. */
  async delete(roomId: string): Promise<void> {
    await this.store.delete(roomId);
  }

  /**
   * On stage: a stage role on this process's room or in Redis presence (which covers people
   * connected to other processes; this process's room covers someone whose presence entry is
   * still being written).
   */
  private async isOnStage(roomId: string, peerId: string): Promise<boolean> {
    if (
      this.ctx.rooms
        .get(roomId)
        ?.stage()
        .some((p) => p.peerId === peerId)
    )
      return true;
    const entry = await this.ctx.presence.get(roomId, peerId);
    return entry !== null && isStageRole(entry.role);
  }
}
