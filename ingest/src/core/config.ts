import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  decimal,
  flag,
  integer,
  ip,
  listenAddress,
  origins,
  sourceList,
  trustProxy,
} from './configValues.js';
import { MAX_STAGE_LIMIT, MEDIA_SOURCES } from '@stagecast/protocol';

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

/** Runtime configuration, read from the environment once at start-up (see the README's table). */
export interface IngestConfig {
  /** HTTP port for the API, Socket.IO, UIs and HLS. Default 8080; 0 picks a free port. */
  port: number;
  /** Address the HTTP server binds. Default 0.0.0.0. */
  host: string;
  /**
   * How long a presence entry lives without a heartbeat from its process; each process
   * refreshes its own peers every quarter of this. `STAGECAST_PRESENCE_TTL_MS`, default 20000.
   */
  presenceTtlMs: number;
  /**
   * Whether deleting a room also deletes its recordings' files (`vod/<room>/`); its Redis keys
   * and live HLS folder always go. `STAGECAST_DELETE_RECORDINGS`, default false: recordings
   * are content the operator may still want, and deleting them cannot be undone.
   */
  deleteRecordings: boolean;
  /** Secret for the management API; the token and identity-cookie keys are derived from it. */
  apiSecret: string;
  /**
   * Key that signs room tokens instead of one derived from the API secret (e.g. to rotate the
   * API secret without ending sessions). `STAGECAST_TOKEN_KEY`, at least 32 characters.
   */
  tokenKey: string | undefined;
  /**
   * Lifetime of a room token made from a link (and the default for the REST API). A connected
   * session is handed fresh tokens, so it outlives this. `STAGECAST_TOKEN_TTL_S`, default 10800 (3 h).
   */
  tokenTtlSeconds: number;
  redisUrl: string;
  /**
   * How long a Redis command may go unanswered before its request fails with UNAVAILABLE
   * (503). Without a connection to Redis requests fail at once; this bounds a Redis that
   * accepts connections but does not answer. Generous, because a busy process reads answers
   * late. `STAGECAST_REDIS_TIMEOUT_MS`, default 5000.
   */
  redisTimeoutMs: number;
  dataDir: string;
  /** Public base URL used in links; default http://localhost:<port>. */
  publicUrl: string | undefined;
  /**
   * Base URL at which clients reach this very process, given to stage clients that connect to
   * another process while this one owns their room's media. `STAGECAST_INSTANCE_URL`; unset:
   * the public URL, or without one the listen address.
   */
  instanceUrl: string | undefined;
  /**
   * How long a room's media lease lives without renewal (its owner renews every third of it):
   * how long a room's stage waits for a dead owner. `STAGECAST_MEDIA_LEASE_MS`, default 30000.
   */
  mediaLeaseMs: number;
  /** IP mediasoup binds for WebRTC. Default 127.0.0.1. */
  listenIp: string;
  /** IP announced in ICE candidates (public IP behind NAT). Default: listenIp. */
  announcedIp: string | undefined;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Number of mediasoup workers. Default: one per core. */
  numWorkers: number;
  /** Greatest number of people on stage at once, whatever their role. Default 9. */
  maxStage: number;
  peerLimits: PeerLimitSettings;
  /** Directory of the built UIs (broadcaster-ui/dist, viewer-ui/dist); the repo root by default. */
  uiRoot: string;
  /**
   * Origins whose pages may open a Socket.IO connection and call the API from a browser.
   * `STAGECAST_ALLOWED_ORIGINS`, comma-separated; unset: the public URL's origin, or when no
   * public URL is set, the listen address's (see {@link defaultOrigins}).
   */
  allowedOrigins: string[] | undefined;
  /**
   * CSP `frame-ancestors` of the apps: which pages may embed them. `STAGECAST_FRAME_ANCESTORS`,
   * a space-separated source list, default `'self'`.
   */
  frameAncestors: string;
  /**
   * `host:port` of a separate listener for `/metrics`, open to whoever reaches it.
   * `STAGECAST_METRICS_LISTEN`; unset: `/metrics` is on the main port and needs the API secret.
   */
  metricsListen: { host: string; port: number } | undefined;
  /** pino level; from the environment it must be one of {@link LOG_LEVELS}. */
  logLevel: string;
  chat: ChatSettings;
  limits: LimitSettings;
  hands: HandSettings;
  broadcast: BroadcastSettings;
  hls: HlsSettings;
  webhooks: WebhookSettings;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A configuration that cannot work; the message names every variable at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Longest lifetime a room token can be given (setting or `POST /api/rooms/:id/tokens`): a day. */
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** Signing room tokens with a shorter secret lets one viewer link be cracked offline. */
export const MIN_API_SECRET_LENGTH = 32;

/**
 * The variables ingest reads. Bounds that the compositor also enforces (segment length, live
 * window, frame rate, audio inputs: see the transcoder's job schema) are checked here too, so
 * a bad value stops ingest at start-up instead of failing the first broadcast.
 */
const envSchema = z.object({
  PORT: integer(0, 65535).default(8080),
  STAGECAST_HOST: z.string().default('0.0.0.0'),
  STAGECAST_API_SECRET: z.string().optional(),
  STAGECAST_TOKEN_KEY: z
    .string()
    .min(MIN_API_SECRET_LENGTH, `must be at least ${MIN_API_SECRET_LENGTH} characters`)
    .optional(),
  STAGECAST_TOKEN_TTL_S: integer(60, MAX_TOKEN_TTL_SECONDS).default(3 * 3600),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  STAGECAST_REDIS_TIMEOUT_MS: integer(100, 60_000).default(5000),
  STAGECAST_DATA_DIR: z.string().default('./data'),
  STAGECAST_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  STAGECAST_INSTANCE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  STAGECAST_MEDIA_LEASE_MS: integer(300, 600_000).default(30_000),
  STAGECAST_LISTEN_IP: ip.default('127.0.0.1'),
  STAGECAST_ANNOUNCED_IP: z.string().optional(),
  STAGECAST_RTC_MIN_PORT: integer(1, 65535).default(40000),
  STAGECAST_RTC_MAX_PORT: integer(1, 65535).default(49999),
  // 0 has always meant "one worker".
  STAGECAST_WORKERS: integer(0).default(cpus().length),
  // A compositor mixes at most 32 audio inputs: everyone on stage plus a screen share.
  STAGECAST_MAX_STAGE: integer(1, MAX_STAGE_LIMIT).default(9),
  STAGECAST_PEER_MAX_WEBRTC_TRANSPORTS: integer(1, 16).default(2),
  STAGECAST_PEER_MAX_PLAIN_TRANSPORTS: integer(0, 16).default(2),
  // More than one per source is refused anyway.
  STAGECAST_PEER_MAX_PRODUCERS: integer(1, MEDIA_SOURCES.length).default(MEDIA_SOURCES.length),
  STAGECAST_PEER_MAX_CONSUMERS: integer(1, 1000).optional(),
  STAGECAST_UI_ROOT: z.string().default(new URL('../../..', import.meta.url).pathname),
  STAGECAST_ALLOWED_ORIGINS: origins.optional(),
  STAGECAST_FRAME_ANCESTORS: sourceList.default("'self'"),
  STAGECAST_METRICS_LISTEN: listenAddress.optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
  STAGECAST_CHAT_RATE_POINTS: integer(1).default(5),
  STAGECAST_CHAT_RATE_WINDOW_S: integer(1).default(10),
  STAGECAST_CHAT_IP_RATE_POINTS: integer(1).default(50),
  STAGECAST_CHAT_IP_RATE_WINDOW_S: integer(1).default(10),
  STAGECAST_JOIN_RATE_PER_S: integer(1).default(10),
  STAGECAST_JOIN_BURST: integer(0).default(300),
  STAGECAST_CONNECT_RATE_PER_S: integer(1).default(20),
  STAGECAST_CONNECT_BURST: integer(0).default(600),
  STAGECAST_SNAPSHOT_RATE_POINTS: integer(1).default(10),
  STAGECAST_SNAPSHOT_RATE_WINDOW_S: integer(1).default(10),
  STAGECAST_HAND_RATE_POINTS: integer(1).default(10),
  STAGECAST_HAND_RATE_WINDOW_S: integer(1).default(10),
  STAGECAST_CUE_RATE_POINTS: integer(1).default(20),
  STAGECAST_CUE_RATE_WINDOW_S: integer(1).default(10),
  STAGECAST_STAGE_CONTROL_RATE_POINTS: integer(1).default(60),
  STAGECAST_STAGE_CONTROL_RATE_WINDOW_S: integer(1).default(10),
  STAGECAST_SECRET_FAILURES: integer(1).default(10),
  STAGECAST_SECRET_FAILURE_WINDOW_S: integer(1).default(300),
  STAGECAST_TRUST_PROXY: trustProxy.default(0),
  STAGECAST_INVITE_TTL_MS: integer(1).default(60_000),
  STAGECAST_HAND_GRACE_MS: integer(1).default(30_000),
  STAGECAST_PRESENCE_TTL_MS: integer(1000, 600_000).default(20_000),
  STAGECAST_DELETE_RECORDINGS: flag.default(false),
  STAGECAST_SEGMENT_SECONDS: decimal(0.5, 10).default(2),
  STAGECAST_LIVE_WINDOW: integer(2, 1000).default(10),
  STAGECAST_DVR_WINDOW_S: integer(0, 14_400).default(1800),
  STAGECAST_RECORD: flag.default(true),
  STAGECAST_BURN_CLOCK: flag.default(false),
  STAGECAST_FRAME_RATE: integer(1, 60).default(30),
  STAGECAST_HLS_POLL_MS: integer(20, 10_000).default(250),
  STAGECAST_HLS_MAX_HELD: integer(1).default(20_000),
  STAGECAST_HLS_MAX_HELD_PER_IP: integer(1).default(1000),
  STAGECAST_WEBHOOK_CONCURRENCY: integer(1, 100).default(4),
  STAGECAST_WEBHOOK_ATTEMPTS: integer(1, 50).default(8),
  STAGECAST_WEBHOOK_RETRY_BASE_MS: integer(10, 3_600_000).default(5000),
});

/**
 * Who may connect from a browser when `STAGECAST_ALLOWED_ORIGINS` is unset: the public URL's
 * origin; without one, the listen address as `localhost` and `127.0.0.1` (and the bound host)
 * on the actual port, so `npm start` on a laptop keeps working.
 */
export function defaultOrigins(config: Pick<IngestConfig, 'publicUrl' | 'host'>, port: number): string[] {
  if (config.publicUrl) return [new URL(config.publicUrl).origin];
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (config.host !== '0.0.0.0' && config.host !== '::')
    hosts.add(config.host.includes(':') ? `[${config.host}]` : config.host);
  return [...hosts].map((host) => `http://${host}:${port}`);
}

/** This process as clients on the same machine reach it when no instance URL is set. */
export function listenUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}

/**
 * Parses and validates the configuration; throws a {@link ConfigError} naming each bad
 * variable. An empty variable counts as unset. `overrides` (tests, embedding) win over the
 * environment.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<IngestConfig> = {},
): IngestConfig {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape)
      .map((name) => [name, env[name]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return `${name} ${issue.message}, got "${present[name] ?? ''}"`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const apiSecret = overrides.apiSecret ?? e.STAGECAST_API_SECRET;
  if (!apiSecret)
    throw new ConfigError('STAGECAST_API_SECRET is required (npm start generates one on first run)');
  const config: IngestConfig = {
    port: e.PORT,
    host: e.STAGECAST_HOST,
    apiSecret,
    tokenKey: e.STAGECAST_TOKEN_KEY,
    tokenTtlSeconds: e.STAGECAST_TOKEN_TTL_S,
    redisUrl: e.REDIS_URL,
    redisTimeoutMs: e.STAGECAST_REDIS_TIMEOUT_MS,
    dataDir: resolve(e.STAGECAST_DATA_DIR),
    publicUrl: e.STAGECAST_PUBLIC_URL,
    instanceUrl: e.STAGECAST_INSTANCE_URL ?? e.STAGECAST_PUBLIC_URL,
    mediaLeaseMs: e.STAGECAST_MEDIA_LEASE_MS,
    listenIp: e.STAGECAST_LISTEN_IP,
    announcedIp: e.STAGECAST_ANNOUNCED_IP,
    rtcMinPort: e.STAGECAST_RTC_MIN_PORT,
    rtcMaxPort: e.STAGECAST_RTC_MAX_PORT,
    numWorkers: Math.max(1, e.STAGECAST_WORKERS),
    maxStage: e.STAGECAST_MAX_STAGE,
    peerLimits: {
      webRtcTransports: e.STAGECAST_PEER_MAX_WEBRTC_TRANSPORTS,
      plainTransports: e.STAGECAST_PEER_MAX_PLAIN_TRANSPORTS,
      producers: e.STAGECAST_PEER_MAX_PRODUCERS,
      consumers: e.STAGECAST_PEER_MAX_CONSUMERS ?? MEDIA_SOURCES.length * e.STAGECAST_MAX_STAGE,
    },
    uiRoot: resolve(e.STAGECAST_UI_ROOT),
    allowedOrigins: e.STAGECAST_ALLOWED_ORIGINS,
    frameAncestors: e.STAGECAST_FRAME_ANCESTORS,
    metricsListen: e.STAGECAST_METRICS_LISTEN,
    logLevel: e.LOG_LEVEL,
    chat: { ratePoints: e.STAGECAST_CHAT_RATE_POINTS, rateWindowSeconds: e.STAGECAST_CHAT_RATE_WINDOW_S },
    limits: {
      join: { perSecond: e.STAGECAST_JOIN_RATE_PER_S, burst: e.STAGECAST_JOIN_BURST },
      connect: { perSecond: e.STAGECAST_CONNECT_RATE_PER_S, burst: e.STAGECAST_CONNECT_BURST },
      snapshot: {
        points: e.STAGECAST_SNAPSHOT_RATE_POINTS,
        windowSeconds: e.STAGECAST_SNAPSHOT_RATE_WINDOW_S,
      },
      hand: { points: e.STAGECAST_HAND_RATE_POINTS, windowSeconds: e.STAGECAST_HAND_RATE_WINDOW_S },
      cue: { points: e.STAGECAST_CUE_RATE_POINTS, windowSeconds: e.STAGECAST_CUE_RATE_WINDOW_S },
      stageControl: {
        points: e.STAGECAST_STAGE_CONTROL_RATE_POINTS,
        windowSeconds: e.STAGECAST_STAGE_CONTROL_RATE_WINDOW_S,
      },
      secretFailure: {
        points: e.STAGECAST_SECRET_FAILURES,
        windowSeconds: e.STAGECAST_SECRET_FAILURE_WINDOW_S,
      },
      chatIp: {
        points: e.STAGECAST_CHAT_IP_RATE_POINTS,
        windowSeconds: e.STAGECAST_CHAT_IP_RATE_WINDOW_S,
      },
      trustProxy: e.STAGECAST_TRUST_PROXY,
    },
    presenceTtlMs: e.STAGECAST_PRESENCE_TTL_MS,
    deleteRecordings: e.STAGECAST_DELETE_RECORDINGS,
    hands: { disconnectGraceMs: e.STAGECAST_HAND_GRACE_MS, inviteTtlMs: e.STAGECAST_INVITE_TTL_MS },
    broadcast: {
      segmentSeconds: e.STAGECAST_SEGMENT_SECONDS,
      liveWindow: e.STAGECAST_LIVE_WINDOW,
      dvrWindowSeconds: e.STAGECAST_DVR_WINDOW_S,
      record: e.STAGECAST_RECORD,
      burnClock: e.STAGECAST_BURN_CLOCK,
      frameRate: e.STAGECAST_FRAME_RATE,
    },
    hls: {
      pollMs: e.STAGECAST_HLS_POLL_MS,
      maxHeld: e.STAGECAST_HLS_MAX_HELD,
      maxHeldPerIp: e.STAGECAST_HLS_MAX_HELD_PER_IP,
    },
    webhooks: {
      concurrency: e.STAGECAST_WEBHOOK_CONCURRENCY,
      attempts: e.STAGECAST_WEBHOOK_ATTEMPTS,
      retryBaseMs: e.STAGECAST_WEBHOOK_RETRY_BASE_MS,
    },
    ...overrides,
  };
  if (config.apiSecret.length < MIN_API_SECRET_LENGTH)
    throw new ConfigError(
      `STAGECAST_API_SECRET must be at least ${MIN_API_SECRET_LENGTH} characters (it also signs room tokens); ` +
        'generate one with: openssl rand -base64 32',
    );
  if (config.rtcMinPort > config.rtcMaxPort)
    throw new ConfigError('STAGECAST_RTC_MIN_PORT must not exceed STAGECAST_RTC_MAX_PORT');
  return config;
}
