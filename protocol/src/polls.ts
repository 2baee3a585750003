/** Limits of a poll, checked by the server (and shown by the apps). */
export const POLL_LIMITS = {
  questionMax: 200,
  optionMax: 80,
  minOptions: 2,
  maxOptions: 8,
} as const;

/** What a host or co-host sends to open a poll. */
export interface CreatePollRequest {
  /** 1–200 characters. */
  question: string;
  /** 2–8 options, 1–80 characters each. */
  options: string[];
  /** Voters may pick several options. Default false (one option). */
  multiple?: boolean;
  /** Hosts see counts only, never who voted for what. Default false. */
  anonymous?: boolean;
  /** Everyone sees the live results, not only hosts and co-hosts. Default false. */
  showResults?: boolean;
}

export type PollState = 'open' | 'closed';

/** Counts of one poll. */
export interface PollResults {
  pollId: string;
  /** Votes per option, in option order. */
  counts: number[];
  /** People who voted (a multiple-choice voter counts once here). */
  voters: number;
}

/** A poll as clients see it. */
export interface Poll {
  id: string;
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  /** Results go to everyone while open. */
  showResults: boolean;
  state: PollState;
  /** ms since the epoch. */
  createdAt: number;
  closedAt?: number;
  /** Set when closed: the results were shared with everyone. */
  resultsShared: boolean;
  createdBy: { peerId: string; name: string } | null;
  /** The counts, when the receiver may see them (hosts and co-hosts always); otherwise null. */
  results: PollResults | null;
}

/** One person's vote, for hosts of a poll that is not anonymous. */
export interface PollVote {
  peerId: string;
  name: string;
  /** Option indexes. */
  choices: number[];
}

/** Polls' part of the join snapshot. */
export interface PollsSnapshot {
  /** The room's open poll, if any. */
  open: Poll | null;
  /** One's own choices in the open poll, or null before voting. */
  mine: number[] | null;
}

/** `GET /api/rooms/:id/polls` */
export interface PollListResponse {
  polls: Poll[];
}

/** `GET /api/rooms/:id/polls/:pollId/votes` */
export interface PollVotesResponse {
  votes: PollVote[];
}
