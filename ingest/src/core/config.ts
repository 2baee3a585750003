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
import { MAX_WEBHOOK_ROTATION_GRACE_S } from '@stagecast/protocol/schemas';

import type {
  BroadcastSettings,
  ChatSettings,
  HandSettings,
  HlsSettings,
  LimitSettings,
  PeerLimitSettings,
  WebhookSettings,
} from './settings.js';

export type * from './settings.js';

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
  /**
   * RTMP ingest port (`STAGECAST_RTMP_PORT`), on the listen host; 0 (the default) turns RTMP
   * ingest off. Needs Debian's nginx and libnginx-mod-rtmp (see README, RTMP ingest).
   */
  rtmpPort: number;
  /**
   * The RTMP URL publishers are given (`STAGECAST_RTMP_PUBLIC_URL`, e.g.
   * `rtmp://live.example.com:1935/live`); default `rtmp://<public URL's host>:<port>/live`.
   */
  rtmpPublicUrl: string | undefined;
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
  STAGECAST_RTMP_PORT: integer(0, 65535).default(0),
  STAGECAST_RTMP_PUBLIC_URL: z
    .string()
    .regex(/^rtmps?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an rtmp:// or rtmps:// URL')
    .optional(),
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
  STAGECAST_SEGMENT_SECONDS: decimal(0.5, 10).default(1.2),
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
  STAGECAST_WEBHOOK_ROTATION_GRACE_S: integer(0, MAX_WEBHOOK_ROTATION_GRACE_S).default(86_400),
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
    rtmpPort: e.STAGECAST_RTMP_PORT,
    rtmpPublicUrl: e.STAGECAST_RTMP_PUBLIC_URL?.replace(/\/$/, ''),
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
      rotationGraceSeconds: e.STAGECAST_WEBHOOK_ROTATION_GRACE_S,
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
