import type { LiveState } from '@stagecast/protocol';

/**
 * Where the REST API reads a room's broadcast state from: while live, it also carries the
 * picture on air, speed and quality from the compositor's last report.
 */
export type LiveStateSource = (roomId: string) => Promise<LiveState>;
