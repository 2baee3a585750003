import { describe, expect, it } from 'vitest';
import { ConfigError, defaultOrigins, loadConfig } from './config.js';

const STRONG = 'a-secret-of-at-least-32-characters';
const SECRET = { STAGECAST_API_SECRET: STRONG };

/** The message of the ConfigError that `fn` throws. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  it('keeps room tokens short-lived and their own key long enough', () => {
    expect(refusal(() => loadConfig({ ...SECRET, STAGECAST_TOKEN_TTL_S: '30' }))).toContain(
      'STAGECAST_TOKEN_TTL_S must be at least 60',
    );
    expect(refusal(() => loadConfig({ ...SECRET, STAGECAST_TOKEN_TTL_S: String(7 * 24 * 3600) }))).toContain(
      'STAGECAST_TOKEN_TTL_S must be at most 86400',
    );
    expect(refusal(() => loadConfig({ ...SECRET, STAGECAST_TOKEN_KEY: 'short' }))).toContain(
      'STAGECAST_TOKEN_KEY must be at least 32 characters',
    );
    const key = 'k'.repeat(32);
    expect(loadConfig({ ...SECRET, STAGECAST_TOKEN_KEY: key, STAGECAST_TOKEN_TTL_S: '3600' })).toMatchObject({
      tokenKey: key,
      tokenTtlSeconds: 3600,
    });
  });

  it('gives every setting its default', () => {
    const config = loadConfig(SECRET);
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      apiSecret: STRONG,
      tokenKey: undefined,
      tokenTtlSeconds: 10_800,
      redisUrl: 'redis://127.0.0.1:6379',
      redisTimeoutMs: 5000,
      publicUrl: undefined,
      instanceUrl: undefined,
      mediaLeaseMs: 30000,
      listenIp: '127.0.0.1',
      announcedIp: undefined,
      rtcMinPort: 40000,
      rtcMaxPort: 49999,
      maxStage: 9,
      peerLimits: { webRtcTransports: 2, plainTransports: 2, producers: 4, consumers: 36 },
      allowedOrigins: undefined,
      frameAncestors: "'self'",
      metricsListen: undefined,
      logLevel: 'info',
      chat: { ratePoints: 5, rateWindowSeconds: 10 },
      limits: {
        join: { perSecond: 10, burst: 300 },
        connect: { perSecond: 20, burst: 600 },
        snapshot: { points: 10, windowSeconds: 10 },
        hand: { points: 10, windowSeconds: 10 },
        cue: { points: 20, windowSeconds: 10 },
        stageControl: { points: 60, windowSeconds: 10 },
        secretFailure: { points: 10, windowSeconds: 300 },
        chatIp: { points: 50, windowSeconds: 10 },
        trustProxy: 0,
      },
      hands: { disconnectGraceMs: 30_000, inviteTtlMs: 60_000 },
      broadcast: { segmentSeconds: 1.2, liveWindow: 10, record: true, burnClock: false, frameRate: 30 },
    });
    expect(config.numWorkers).toBeGreaterThanOrEqual(1);
  });

  it('reads the rate limits and how many proxies to trust', () => {
    const config = loadConfig({
      ...SECRET,
      STAGECAST_JOIN_RATE_PER_S: '2',
      STAGECAST_JOIN_BURST: '0',
      STAGECAST_CONNECT_RATE_PER_S: '3',
      STAGECAST_CONNECT_BURST: '4',
      STAGECAST_SNAPSHOT_RATE_POINTS: '5',
      STAGECAST_SNAPSHOT_RATE_WINDOW_S: '6',
      STAGECAST_HAND_RATE_POINTS: '7',
      STAGECAST_HAND_RATE_WINDOW_S: '8',
      STAGECAST_CUE_RATE_POINTS: '14',
      STAGECAST_CUE_RATE_WINDOW_S: '15',
      STAGECAST_SECRET_FAILURES: '9',
      STAGECAST_SECRET_FAILURE_WINDOW_S: '11',
      STAGECAST_CHAT_IP_RATE_POINTS: '12',
      STAGECAST_CHAT_IP_RATE_WINDOW_S: '13',
      STAGECAST_TRUST_PROXY: 'true',
    });
    expect(config.limits).toEqual({
      join: { perSecond: 2, burst: 0 },
      connect: { perSecond: 3, burst: 4 },
      snapshot: { points: 5, windowSeconds: 6 },
      hand: { points: 7, windowSeconds: 8 },
      cue: { points: 14, windowSeconds: 15 },
      stageControl: { points: 60, windowSeconds: 10 },
      secretFailure: { points: 9, windowSeconds: 11 },
      chatIp: { points: 12, windowSeconds: 13 },
      trustProxy: 1,
    });
    expect(loadConfig({ ...SECRET, STAGECAST_TRUST_PROXY: '2' }).limits.trustProxy).toBe(2);
    expect(refusal(() => loadConfig({ ...SECRET, STAGECAST_TRUST_PROXY: 'yes' }))).toContain(
      'STAGECAST_TRUST_PROXY',
    );
  });

  it('reads the per-peer media limits; the consumer default follows the stage cap', () => {
    expect(loadConfig({ ...SECRET, STAGECAST_MAX_STAGE: '4' }).peerLimits.consumers).toBe(16);
    expect(
      loadConfig({
        ...SECRET,
        STAGECAST_PEER_MAX_WEBRTC_TRANSPORTS: '3',
        STAGECAST_PEER_MAX_PLAIN_TRANSPORTS: '0',
        STAGECAST_PEER_MAX_PRODUCERS: '2',
        STAGECAST_PEER_MAX_CONSUMERS: '50',
      }).peerLimits,
    ).toEqual({ webRtcTransports: 3, plainTransports: 0, producers: 2, consumers: 50 });
    const message = refusal(() =>
      loadConfig({ ...SECRET, STAGECAST_PEER_MAX_PRODUCERS: '5', STAGECAST_MAX_STAGE: '32' }),
    );
    expect(message).toContain('STAGECAST_PEER_MAX_PRODUCERS must be at most 4');
    expect(message).toContain('STAGECAST_MAX_STAGE must be at most 31');
  });

  it('reads every variable, and treats an empty one as unset', () => {
    const config = loadConfig({
      ...SECRET,
      PORT: '0',
      STAGECAST_PUBLIC_URL: 'https://live.example.com/',
      STAGECAST_LISTEN_IP: '0.0.0.0',
      STAGECAST_ANNOUNCED_IP: '',
      STAGECAST_WORKERS: '0',
      STAGECAST_MAX_STAGE: '4',
      STAGECAST_CHAT_RATE_POINTS: '3',
      STAGECAST_INVITE_TTL_MS: '500',
      STAGECAST_HAND_GRACE_MS: '1000',
      STAGECAST_SEGMENT_SECONDS: '1.5',
      STAGECAST_LIVE_WINDOW: '6',
      STAGECAST_RECORD: 'false',
      STAGECAST_BURN_CLOCK: 'true',
      STAGECAST_FRAME_RATE: '25',
      STAGECAST_REDIS_TIMEOUT_MS: '1500',
      STAGECAST_ALLOWED_ORIGINS: 'https://live.example.com, http://studio.example.com:8443/',
      STAGECAST_FRAME_ANCESTORS: "'self'  https://blog.example.com",
      STAGECAST_METRICS_LISTEN: '10.0.0.5:9464',
      STAGECAST_INSTANCE_URL: 'https://ingest-2.example.com',
      STAGECAST_MEDIA_LEASE_MS: '60000',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 0,
      publicUrl: 'https://live.example.com/',
      instanceUrl: 'https://ingest-2.example.com',
      mediaLeaseMs: 60000,
      listenIp: '0.0.0.0',
      announcedIp: undefined,
      numWorkers: 1,
      maxStage: 4,
      allowedOrigins: ['https://live.example.com', 'http://studio.example.com:8443'],
      frameAncestors: "'self' https://blog.example.com",
      metricsListen: { host: '10.0.0.5', port: 9464 },
      logLevel: 'warn',
      redisTimeoutMs: 1500,
      chat: { ratePoints: 3, rateWindowSeconds: 10 },
      hands: { disconnectGraceMs: 1000, inviteTtlMs: 500 },
      broadcast: { segmentSeconds: 1.5, liveWindow: 6, record: false, burnClock: true, frameRate: 25 },
    });
  });

  it('lets overrides win over the environment', () => {
    const config = loadConfig({ PORT: '9000' }, { apiSecret: `given-${STRONG}`, port: 0, maxStage: 2 });
    expect(config).toMatchObject({ apiSecret: `given-${STRONG}`, port: 0, maxStage: 2 });
  });

  it('requires an API secret of at least 32 characters', () => {
    expect(refusal(() => loadConfig({}))).toMatch(/STAGECAST_API_SECRET is required/);
    expect(refusal(() => loadConfig({ STAGECAST_API_SECRET: 'x'.repeat(31) }))).toMatch(
      /STAGECAST_API_SECRET must be at least 32 characters/,
    );
    // Overrides (embedding, tests) are held to the same rule.
    expect(refusal(() => loadConfig({}, { apiSecret: 'short' }))).toMatch(/at least 32 characters/);
    expect(loadConfig({ STAGECAST_API_SECRET: 'x'.repeat(32) }).apiSecret).toHaveLength(32);
  });

  it('defaults the allowed origins to the public URL, else the listen address', () => {
    expect(defaultOrigins({ publicUrl: 'https://live.example.com/base/', host: '0.0.0.0' }, 80)).toEqual([
      'https://live.example.com',
    ]);
    expect(defaultOrigins({ publicUrl: undefined, host: '0.0.0.0' }, 8080)).toEqual([
      'http://localhost:8080',
      'http://127.0.0.1:8080',
      'http://[::1]:8080',
    ]);
    expect(defaultOrigins({ publicUrl: undefined, host: '192.168.1.20' }, 8080)).toContain(
      'http://192.168.1.20:8080',
    );
  });

  it('refuses broadcast settings the compositor would refuse at go-live', () => {
    const message = refusal(() =>
      loadConfig({
        ...SECRET,
        STAGECAST_SEGMENT_SECONDS: 'two',
        STAGECAST_LIVE_WINDOW: '1',
        STAGECAST_FRAME_RATE: '29.97',
        STAGECAST_RECORD: 'no',
      }),
    );
    // Every bad variable is named, with the value it had.
    expect(message).toContain('STAGECAST_SEGMENT_SECONDS must be a number, got "two"');
    expect(message).toContain('STAGECAST_LIVE_WINDOW must be at least 2, got "1"');
    expect(message).toContain('STAGECAST_FRAME_RATE must be a whole number, got "29.97"');
    expect(message).toContain('STAGECAST_RECORD must be "true" or "false", got "no"');
  });

  it('refuses malformed numbers, addresses and levels', () => {
    for (const [name, value, reason] of [
      ['PORT', '80x', 'must be a whole number'],
      ['PORT', '70000', 'must be at most 65535'],
      ['STAGECAST_CHAT_RATE_POINTS', '0', 'must be at least 1'],
      ['STAGECAST_HAND_GRACE_MS', '-5', 'must be a whole number'],
      ['STAGECAST_MAX_STAGE', '40', 'must be at most 31'],
      ['STAGECAST_LISTEN_IP', 'localhost', 'must be an IP address'],
      ['STAGECAST_PUBLIC_URL', 'live.example.com', 'must be an http(s) URL'],
      ['LOG_LEVEL', 'verbose', 'must be one of'],
      ['STAGECAST_ALLOWED_ORIGINS', 'https://a.example.com/path', 'must be origins'],
      ['STAGECAST_ALLOWED_ORIGINS', '*', 'must be origins'],
      ['STAGECAST_ALLOWED_ORIGINS', ' , ', 'must name at least one origin'],
      ['STAGECAST_FRAME_ANCESTORS', "'self'; script-src *", 'must be CSP sources'],
      ['STAGECAST_METRICS_LISTEN', '9464', 'must be host:port'],
    ] as const) {
      expect(refusal(() => loadConfig({ ...SECRET, [name]: value }))).toContain(`${name} ${reason}`);
    }
  });

  it('refuses an empty RTC port range', () => {
    const message = refusal(() =>
      loadConfig({ ...SECRET, STAGECAST_RTC_MIN_PORT: '5000', STAGECAST_RTC_MAX_PORT: '4000' }),
    );
    expect(message).toMatch(/STAGECAST_RTC_MIN_PORT must not exceed STAGECAST_RTC_MAX_PORT/);
  });
});
