import type { AckResult, ErrorCode } from './errors.js';
import type {
  AudienceMember,
  BanEntry,
  BroadcastProgress,
  ChatMessage,
  ConsumerOptions,
  Cue,
  CueInput,
  HandEntry,
  JoinSnapshot,
  LayoutChoice,
  LinkKind,
  LiveState,
  MediaKind,
  StageEntry,
  StageModeration,
  StageMuteSource,
  MediaSource,
  PlainTransportInfo,
  ProducerInfo,
  Question,
  RoomClosedReason,
  RtpCapabilities,
  RtpParameters,
  DtlsParameters,
  IceParameters,
  StageInvite,
  StagePeer,
  TransportOptions,
} from './model.js';
import type { Role } from './roles.js';
import type { CreatePollRequest, Poll, PollResults, PollVote } from './polls.js';
import type { Reaction, ReactionBurst } from './reactions.js';
import type { RestreamDestination, RestreamInput } from './restream.js';

/** A request: a payload and an acknowledgement carrying `AckResult<R>`. */
export type Request<P, R> = (payload: P, ack: (result: AckResult<R>) => void) => void;
type Empty = Record<string, never>;

/**
 * Requests from clients. Every payload is validated by the server at runtime; the
 * ack is always called, with `{ ok: false, error }` for anything refused.
 */
export interface ClientToServerEvents {
  /** Snapshot of the room; call after every (re)connect. */
  'room:join': Request<Empty, JoinSnapshot>;

  /** The router's RTP capabilities, to load a mediasoup-client Device. */
  'stage:capabilities': Request<Empty, RtpCapabilities>;
  /** A WebRTC transport; `send` needs the `publish` permission. */
  'stage:createTransport': Request<{ direction: 'send' | 'recv' }, TransportOptions>;
  'stage:connectTransport': Request<{ transportId: string; dtlsParameters: DtlsParameters }, Empty>;
  'stage:restartIce': Request<{ transportId: string }, { iceParameters: IceParameters }>;
  /** A plain RTP transport (comedia, RTCP on its own port) for bots; needs `publish`. */
  'stage:createPlainTransport': Request<Empty, PlainTransportInfo>;
  'stage:produce': Request<
    {
      transportId: string;
      kind: MediaKind;
      source: MediaSource;
      rtpParameters: RtpParameters;
      paused?: boolean;
    },
    { producerId: string }
  >;
  'stage:closeProducer': Request<{ producerId: string }, Empty>;
  /** Mute or unmute one's own producer. */
  'stage:setProducerPaused': Request<{ producerId: string; paused: boolean }, Empty>;
  /** The consumer is created paused; resume it once the client-side consumer exists. */
  'stage:consume': Request<
    { transportId: string; producerId: string; rtpCapabilities: RtpCapabilities },
    ConsumerOptions
  >;
  'stage:resumeConsumer': Request<{ consumerId: string }, Empty>;
  /** A guest leaves the stage and becomes a viewer again. */
  'stage:leave': Request<Empty, { role: Role }>;

  /** Invite a viewer on stage (`manageStage`). */
  'stage:invite': Request<{ peerId: string }, StageInvite>;
  /** The invited viewer accepts or declines. */
  'stage:respondInvite': Request<{ inviteId: string; accept: boolean }, { role: Role }>;
  /** Move a guest back to the audience (`manageStage`). */
  'stage:demote': Request<{ peerId: string }, Empty>;
  /**
   * Put someone on stage on air (into the composite) or backstage (`manageStage`; co-hosts
   * act on guests and themselves, hosts on everyone).
   */
  'stage:setOnAir': Request<{ peerId: string; onAir: boolean }, { onAir: boolean }>;
  /**
   * Mute a stage member's microphone or camera (the server pauses the producer). `hard`: the
   * member cannot unmute (HARD_MUTED) until a host lifts it. Co-hosts mute guests only.
   */
  'stage:mute': Request<{ peerId: string; source: StageMuteSource; hard?: boolean }, Empty>;
  /** Lift a hard mute; the member unmutes themselves. */
  'stage:liftHardMute': Request<{ peerId: string; source: StageMuteSource }, Empty>;
  /** Mute everyone on stage but oneself (hosts only); answers how many producers were paused. */
  'stage:muteAll': Request<{ source: StageMuteSource; hard?: boolean }, { muted: number }>;
  /** Where promoted viewers arrive: backstage or on air (hosts only). */
  'stage:setEntry': Request<{ stageEntry: StageEntry }, { stageEntry: StageEntry }>;

  'hand:raise': Request<{ question?: string }, HandEntry>;
  'hand:lower': Request<Empty, Empty>;
  /** Lower someone else's hand (`manageStage`). */
  'hand:dismiss': Request<{ peerId: string }, Empty>;
  'hand:lowerAll': Request<Empty, Empty>;

  /** `clientId` makes a retried send idempotent. */
  'chat:send': Request<{ clientId: string; text: string }, ChatMessage>;
  'chat:delete': Request<{ messageId: string }, Empty>;
  /** Pin a message, or unpin with `null`. */
  'chat:pin': Request<{ messageId: string | null }, Empty>;
  'chat:mute': Request<{ peerId: string; seconds: number }, { until: number }>;
  /** Seconds between two messages of one sender; 0 turns slow mode off. */
  'chat:slowMode': Request<{ seconds: number }, Empty>;
  /**
   * Remove a person from the room (`moderate`): their identity, and their address for new
   * viewer-link identities. Only hosts can ban co-hosts; nobody can ban a host.
   */
  'room:ban': Request<{ peerId: string; reason?: string }, Empty>;
  /** The room's bans, newest first (`moderate`). */
  'room:bans': Request<Empty, BanEntry[]>;
  /** Lift a ban (`moderate`; a co-host's ban only by a host). */
  'room:unban': Request<{ peerId: string }, Empty>;
  /**
   * Replace a role link (hosts only; `viewer` or `cohost`: the host link is rotated through
   * the REST API, since it is the link the host is connected with). The old link stops
   * working and everyone connected through it is disconnected; answers the new link.
   */
  'room:rotateLink': Request<{ link: Exclude<LinkKind, 'host'> }, { link: string }>;

  'audience:list': Request<Empty, AudienceMember[]>;

  /** Ask a question (1–300 characters; `clientId` makes a retried ask idempotent). */
  'qa:ask': Request<{ clientId: string; text: string }, Question>;
  /** The room's questions, oldest first (hidden ones only for hosts and co-hosts). */
  'qa:list': Request<Empty, Question[]>;
  /** Upvote someone else's question (`on: false` takes the vote back); one vote per identity. */
  'qa:upvote': Request<{ questionId: string; on: boolean }, { votes: number; upvoted: boolean }>;
  /** Mark answered or not (`moderate`). */
  'qa:answer': Request<{ questionId: string; answered: boolean }, Question>;
  /** Hide from the audience or show again (`moderate`). */
  'qa:hide': Request<{ questionId: string; hidden: boolean }, Question>;
  /** Show a question on air as the lower-third, or none with `null` (`moderate`). */
  'qa:highlight': Request<{ questionId: string | null }, Empty>;
  /** Ban the asker from the room (`moderate`; the same ban as `room:ban`) and hide their questions. */
  'qa:banAsker': Request<{ questionId: string; reason?: string }, Empty>;

  'broadcast:start': Request<Empty, LiveState>;
  'broadcast:stop': Request<Empty, LiveState>;
  /** Choose the composite's layout, live or before going live (`manageStage`: hosts and co-hosts). */
  'broadcast:layout': Request<LayoutChoice, LayoutChoice>;

  /** Open a poll (`managePolls`); POLL_OPEN while another one is open. */
  'poll:create': Request<CreatePollRequest, Poll>;
  /** Vote (`vote`: everyone); a second vote replaces the first; POLL_CLOSED once closed. */
  'poll:vote': Request<{ pollId: string; choices: number[] }, { choices: number[] }>;
  /** Close a poll (`managePolls`), optionally sharing its results with everyone. */
  'poll:close': Request<{ pollId: string; shareResults?: boolean }, Poll>;
  /** The room's polls, newest first (results where the caller may see them). */
  'poll:list': Request<Empty, Poll[]>;
  /** Who voted for what (`managePolls`); FORBIDDEN for an anonymous poll. */
  'poll:votes': Request<{ pollId: string }, PollVote[]>;
  /** Send a reaction (`react`); over the per-person rate it is dropped with RATE_LIMITED. */
  'reaction:send': Request<{ emoji: Reaction }, Empty>;
  /** Send a cue into the live broadcast (`broadcast`: hosts); answers it as stamped. */
  'cue:send': Request<CueInput, Cue>;
  /** The room's restream destinations, keys masked (`broadcast`: hosts). */
  'restream:list': Request<Empty, RestreamDestination[]>;
  /** Add a destination (`broadcast`: hosts); live at once if the broadcast is. */
  'restream:add': Request<RestreamInput, RestreamDestination>;
  /** Remove a destination (`broadcast`: hosts); its upload stops at once. */
  'restream:remove': Request<{ id: string }, Empty>;
}

/** Notifications from the server. */
export interface ServerToClientEvents {
  /** Someone stepped on stage. */
  'peer:joined': (peer: StagePeer) => void;
  /** Someone left the stage (or the room). */
  'peer:left': (payload: { peerId: string }) => void;
  /** A stage peer's role, name, on-air state or hard mutes changed. */
  'peer:updated': (peer: StagePeer) => void;
  'producer:new': (producer: ProducerInfo) => void;
  'producer:closed': (payload: { producerId: string; peerId: string }) => void;
  'producer:paused': (payload: { producerId: string; peerId: string; paused: boolean }) => void;
  /** A consumer was closed by the server (its producer went away). */
  'consumer:closed': (payload: { consumerId: string }) => void;
  'stage:activeSpeaker': (payload: { peerId: string | null }) => void;
  /**
   * A host or co-host acted on a stage member (muted them, put them on air...): to the member
   * and to those who manage the stage, so that the member's page can say who did it.
   */
  'stage:moderated': (event: StageModeration) => void;
  /** Where promoted viewers arrive changed, to everyone in the room. */
  'stage:entry': (payload: { stageEntry: StageEntry }) => void;
  /** One's own role changed (promotion, demotion, leaving the stage). */
  'self:role': (payload: { role: Role; reason: 'invite-accepted' | 'demoted' | 'left-stage' }) => void;
  /**
   * A fresh token for this session, sent well before the current one expires: reconnections
   * use it (the SDK swaps it into the handshake), so a session outlives the token TTL while it
   * stays connected.
   */
  'session:token': (payload: { token: string; expiresAt: number }) => void;
  /** The viewer link was rotated, to those who manage the stage (they share it). */
  'room:viewerLink': (payload: { link: string }) => void;
  /** The ban list changed, to those who moderate. */
  'room:bans': (bans: BanEntry[]) => void;
  /** The connection is about to be closed by the server. */
  'room:closed': (payload: { reason: RoomClosedReason; message: string }) => void;

  'chat:message': (message: ChatMessage) => void;
  /** `at`: when the server accepted the deletion (see `Stamped`). */
  'chat:deleted': (payload: { messageId: string; at: number }) => void;
  /** `at`: when the server accepted the pin (see `Stamped`). */
  'chat:pinned': (payload: { message: ChatMessage | null; at: number }) => void;
  'chat:slowMode': (payload: { seconds: number }) => void;
  /** Sent to the muted person. */
  'chat:muted': (payload: { until: number }) => void;

  /** The full queue, to those who manage the stage. */
  'hands:queue': (queue: HandEntry[]) => void;
  /** One's own place in the queue, or null once lowered. */
  'hand:mine': (entry: HandEntry | null) => void;
  /** An invitation to the stage, to the invited viewer. */
  'stage:invited': (invite: StageInvite) => void;
  /** How an invitation ended, to those who manage the stage and to the invitee. */
  'stage:inviteEnded': (payload: {
    inviteId: string;
    peerId: string;
    outcome: 'accepted' | 'declined' | 'expired' | 'cancelled';
  }) => void;

  'audience:count': (payload: { viewers: number }) => void;

  /** A new or changed question (votes, answered, hidden, highlighted), to those who may see it. */
  'qa:question': (question: Question) => void;
  /** A question was hidden: gone for the audience (hosts and co-hosts get `qa:question`). */
  'qa:removed': (payload: { questionId: string }) => void;
  /** The question on air as the lower-third changed, to everyone; null when none. */
  'qa:highlighted': (payload: { question: Question | null }) => void;

  'broadcast:state': (state: LiveState) => void;
  /** The layout hosts chose, to everyone in the room. */
  'broadcast:layout': (choice: LayoutChoice) => void;
  /** Compositor figures, to hosts and co-hosts. */
  'broadcast:progress': (progress: BroadcastProgress) => void;

  /** A poll opened (results filled for those who may see them). */
  'poll:opened': (poll: Poll) => void;
  /** Live counts, to hosts and co-hosts, and to everyone when the poll shows results (throttled). */
  'poll:results': (results: PollResults) => void;
  /** A poll closed (results filled for hosts, and for everyone when shared). */
  'poll:closed': (poll: Poll) => void;
  /** Reactions of the last window, aggregated per ingest process (at most 4 a second per room). */
  'reactions:burst': (burst: ReactionBurst) => void;
  /** A host sent a cue; viewers on HLS hold it until their picture reaches `at`. */
  cue: (cue: Cue) => void;
  /** The room's restream destinations, after any change or status change, to hosts and co-hosts. */
  'restream:destinations': (destinations: RestreamDestination[]) => void;
}

/** Connection `auth` payload of the Socket.IO handshake. */
export interface HandshakeAuth {
  token: string;
  /** The room the client means to join; a token for another room is refused with WRONG_ROOM. */
  roomId?: string;
}

/** `connect_error` data: `err.data` on the client. */
export interface ConnectErrorData {
  code: ErrorCode;
  /** For RATE_LIMITED and UNAVAILABLE: when connecting again can succeed. */
  retryAfterMs?: number;
  /**
   * For MEDIA_ELSEWHERE: the base URL of the ingest process that owns the room's media (its
   * stage); a stage role connects there (the SDK does so by itself).
   */
  ownerUrl?: string;
}

/** Claims of a room token (JWT, HS256). */
export interface TokenClaims {
  room: string;
  role: Role;
  name: string;
  /**
   * The person's identity (peer id): stable across reconnects with the same token, and for
   * viewer-link joins across names from the same browser (the room's identity cookie).
   */
  sub: string;
  exp: number;
  /** The role link the token belongs to. */
  link: LinkKind;
  /** That link's generation when the token was made; rotating the link bumps it. */
  gen: number;
}
