import type { LiveState } from '@stagecast/protocol';

/** Where the REST API and the join snapshot read a room's broadcast state from. */
export type LiveStateSource = (roomId: string) => Promise<LiveState>;
