import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const SECRET = { STAGECAST_API_SECRET: 'secret' };

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
  it('gives every setting its default', () => {
    const config = loadConfig(SECRET);
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      apiSecret: 'secret',
      redisUrl: 'redis://127.0.0.1:6379',
      publicUrl: undefined,
      listenIp: '127.0.0.1',
      announcedIp: undefined,
      rtcMinPort: 40000,
      rtcMaxPort: 49999,
      maxStage: 9,
      peerLimits: { webRtcTransports: 2, plainTransports: 2, producers: 4, consumers: 36 },
      logLevel: 'info',
      chat: { ratePoints: 5, rateWindowSeconds: 10 },
      limits: {
        join: { perSecond: 10, burst: 300 },
        connect: { perSecond: 20, burst: 600 },
        snapshot: { points: 10, windowSeconds: 10 },
        hand: { points: 10, windowSeconds: 10 },
        secretFailure: { points: 10, windowSeconds: 300 },
        chatIp: { points: 50, windowSeconds: 10 },
        trustProxy: 0,
      },
      hands: { disconnectGraceMs: 30_000, inviteTtlMs: 60_000 },
      broadcast: { segmentSeconds: 2, liveWindow: 10, record: true, burnClock: false, frameRate: 30 },
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
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 0,
      publicUrl: 'https://live.example.com/',
      listenIp: '0.0.0.0',
      announcedIp: undefined,
      numWorkers: 1,
      maxStage: 4,
      logLevel: 'warn',
      chat: { ratePoints: 3, rateWindowSeconds: 10 },
      hands: { disconnectGraceMs: 1000, inviteTtlMs: 500 },
      broadcast: { segmentSeconds: 1.5, liveWindow: 6, record: false, burnClock: true, frameRate: 25 },
    });
  });

  it('lets overrides win over the environment', () => {
    const config = loadConfig({ PORT: '9000' }, { apiSecret: 'given', port: 0, maxStage: 2 });
    expect(config).toMatchObject({ apiSecret: 'given', port: 0, maxStage: 2 });
  });

  it('requires the API secret', () => {
    expect(refusal(() => loadConfig({}))).toMatch(/STAGECAST_API_SECRET is required/);
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
