/**
 * Which stage snapshots a broadcast follows: those of the room's current media owner, newest
 * first. Ingest processes take a room's media in turn, each under a higher lease epoch, so a
 * snapshot of a lower epoch comes from a process that lost the room (or never had it: epoch 0)
 * and must not change the picture, however high its version.
 */
export class StageFence {
  private epoch = 0;
  /** -1: the first answer, even the version-0 one of a process without the room, is followed. */
  private version = -1;

  /** Whether the snapshot is to be followed; if so it becomes the newest one followed. */
  admit(epoch: number, version: number): boolean {
    if (epoch < this.epoch) return false;
    // Within one owner, versions order its snapshots; a new owner supersedes whatever came before.
    if (epoch === this.epoch && version <= this.version) return false;
    this.epoch = epoch;
    this.version = version;
    return true;
  }
}
