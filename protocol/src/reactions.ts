/** The emoji a viewer or stage member can send; anything else is refused. */
export const REACTIONS = ['👏', '❤️', '😂', '🎉', '👍', '🤔'] as const;
export type Reaction = (typeof REACTIONS)[number];

/**
 * Reactions sent in one room during `windowMs`, aggregated by one ingest process: the server
 * never sends one message per reaction.
 */
export interface ReactionBurst {
  counts: Partial<Record<Reaction, number>>;
  windowMs: number;
}

export function isReaction(value: unknown): value is Reaction {
  return typeof value === 'string' && (REACTIONS as readonly string[]).includes(value);
}
