/** The shapes of the ingest's settings, by feature; `config.ts` reads them from the environment. */

/** Chat limits, per sender. */
export interface ChatSettings {
  /** Messages one sender may send per window. `STAGECAST_CHAT_RATE_POINTS`, default 5. */
  ratePoints: number;
  /** The rate limit window in seconds. `STAGECAST_CHAT_RATE_WINDOW_S`, default 10. */
  rateWindowSeconds: number;
}

/** At most `points` events per window of `windowSeconds`. */
export interface RateWindow {
  points: number;
  windowSeconds: number;
}

/** A steady rate plus an allowance for a crowd arriving at once. */
export interface BurstRate {
  /** Events per second, always allowed. */
  perSecond: number;
  /** Events per minute allowed above the steady rate. */
  burst: number;
}

/**
 * Rate limits, counted in Redis and shared by all ingest processes. The defaults let an office
 * of 500 people behind one NAT address join within a minute.
 */
export interface LimitSettings {
  /**
   * `POST /api/join` per IP. `STAGECAST_JOIN_RATE_PER_S`, default 10, and
   * `STAGECAST_JOIN_BURST`, default 300 a minute.
   */
  join: BurstRate;
  /**
   * Socket.IO connections (reconnections too) per IP. `STAGECAST_CONNECT_RATE_PER_S`, default
   * 20, and `STAGECAST_CONNECT_BURST`, default 600 a minute.
   */
  connect: BurstRate;
  /**
   * Join snapshots (`room:join`) per peer. `STAGECAST_SNAPSHOT_RATE_POINTS`, default 10, per
   * `STAGECAST_SNAPSHOT_RATE_WINDOW_S`, default 10.
   */
  snapshot: RateWindow;
  /**
   * Hand raises and lowers per peer. `STAGECAST_HAND_RATE_POINTS`, default 10, per
   * `STAGECAST_HAND_RATE_WINDOW_S`, default 10.
   */
  hand: RateWindow;
  /**
   * Cues per room (socket and REST together). `STAGECAST_CUE_RATE_POINTS`, default 20, per
   * `STAGECAST_CUE_RATE_WINDOW_S`, default 10.
   */
  cue: RateWindow;
  /**
   * Stage moderation requests (mute, hard mute, on/off air, stage entry) per host or co-host.
   * `STAGECAST_STAGE_CONTROL_RATE_POINTS`, default 60, per `STAGECAST_STAGE_CONTROL_RATE_WINDOW_S`,
   * default 10.
   */
  stageControl: RateWindow;
  /**
   * Wrong API secrets per IP; right ones are not counted, but are refused too while an
   * address is over the limit. `STAGECAST_SECRET_FAILURES`, default 10, per
   * `STAGECAST_SECRET_FAILURE_WINDOW_S`, default 300.
   */
  secretFailure: RateWindow;
  /**
   * Chat messages per IP and room, whatever identities send them.
   * `STAGECAST_CHAT_IP_RATE_POINTS`, default 50, per `STAGECAST_CHAT_IP_RATE_WINDOW_S`,
   * default 10.
   */
  chatIp: RateWindow;
  /**
   * How many reverse proxies in front of ingest append to `X-Forwarded-For`; the client's IP
   * is the entry the outermost of them wrote. 0 (the default) ignores the header and uses the
   * connection's address. `STAGECAST_TRUST_PROXY`: a count, or `true` for 1 and `false` for 0.
   */
  trustProxy: number;
}

/** Raised hands and stage invitations. */
export interface HandSettings {
  /**
   * How long a disconnected viewer keeps their hand (and a pending invitation) before both
   * are dropped; a reconnect within this time keeps the place. `STAGECAST_HAND_GRACE_MS`,
   * default 30 000.
   */
  disconnectGraceMs: number;
  /** How long an invitation stays open. `STAGECAST_INVITE_TTL_MS`, default 60 000. */
  inviteTtlMs: number;
}

/** What every composite job of a broadcast is started with. */
export interface BroadcastSettings {
  /** HLS segment length. `STAGECAST_SEGMENT_SECONDS`, default 2. */
  segmentSeconds: number;
  /** Segments in the live playlist. `STAGECAST_LIVE_WINDOW`, default 10. */
  liveWindow: number;
  /**
   * How far back viewers can seek while live (DVR), in seconds; the live playlist then keeps
   * that many seconds of segments (at least `liveWindow`). 0 turns it off.
   * `STAGECAST_DVR_WINDOW_S`, default 1800, at most 14 400 (4 h).
   */
  dvrWindowSeconds: number;
  /** Keep every segment and publish a recording. `STAGECAST_RECORD`, default true. */
  record: boolean;
  /** Burn the wall clock into the picture. `STAGECAST_BURN_CLOCK`, default false. */
  burnClock: boolean;
  /** Output frame rate. `STAGECAST_FRAME_RATE`, default 30. */
  frameRate: number;
}

/** Webhook deliveries (see the README's "Webhooks"). */
export interface WebhookSettings {
  /** Deliveries one ingest process makes at once. `STAGECAST_WEBHOOK_CONCURRENCY`, default 4. */
  concurrency: number;
  /** Attempts per message, the first included. `STAGECAST_WEBHOOK_ATTEMPTS`, default 8. */
  attempts: number;
  /**
   * The first retry's delay; each next one doubles it (5 s, 10 s, … 320 s: about 10 minutes
   * over 8 attempts). `STAGECAST_WEBHOOK_RETRY_BASE_MS`, default 5000.
   */
  retryBaseMs: number;
  /**
   * After a secret rotation, how long the replaced secret keeps signing beside the new one
   * (receivers switch meanwhile); a rotation request may ask for another grace, 0 included.
   * `STAGECAST_WEBHOOK_ROTATION_GRACE_S`, default 86400 (24 h), at most 30 days.
   */
  rotationGraceSeconds: number;
}

/** The live HLS origin (LL-HLS blocking requests). */
export interface HlsSettings {
  /**
   * How often each watched playlist is checked on disk besides its fs.watch events, which can
   * be lost. `STAGECAST_HLS_POLL_MS`, default 250.
   */
  pollMs: number;
  /** Playlist and part requests held at once, all clients. `STAGECAST_HLS_MAX_HELD`, default 20 000. */
  maxHeld: number;
  /**
   * Held requests per client address (a CDN or an office NAT is one address).
   * `STAGECAST_HLS_MAX_HELD_PER_IP`, default 1 000.
   */
  maxHeldPerIp: number;
}

/**
 * The most mediasoup objects one connection may hold: without them one person on stage could
 * use up the server's ports (transports) or its CPU (consumers).
 */
export interface PeerLimitSettings {
  /** Send and receive. `STAGECAST_PEER_MAX_WEBRTC_TRANSPORTS`, default 2. */
  webRtcTransports: number;
  /** A bot's video and audio. `STAGECAST_PEER_MAX_PLAIN_TRANSPORTS`, default 2. */
  plainTransports: number;
  /** One per source (camera, mic, screen, screen audio). `STAGECAST_PEER_MAX_PRODUCERS`, default 4. */
  producers: number;
  /**
   * Streams received: every source of everyone else on a full stage.
   * `STAGECAST_PEER_MAX_CONSUMERS`, default 4 × the stage cap.
   */
  consumers: number;
}
