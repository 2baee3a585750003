import { cpus } from 'node:os';
import { resolve } from 'node:path';

/** Runtime configuration, read from the environment (see the README's table). */
export interface IngestConfig {
  /** HTTP port for the API, Socket.IO, UIs and HLS. Default 8080; 0 picks a free port. */
  port: number;
  /** Address the HTTP server binds. Default 0.0.0.0. */
  host: string;
  /** Secret for the management API and for signing tokens. */
  apiSecret: string;
  redisUrl: string;
  dataDir: string;
  /** Public base URL used in links; default http://localhost:<port>. */
  publicUrl: string | undefined;
  /** IP mediasoup binds for WebRTC. Default 127.0.0.1. */
  listenIp: string;
  /** IP announced in ICE candidates (public IP behind NAT). Default: listenIp. */
  announcedIp: string | undefined;
  rtcMinPort: number;
  rtcMaxPort: number;
  /** Number of mediasoup workers. Default: one per core. */
  numWorkers: number;
  /** Greatest number of people on stage at once. Default 9. */
  maxStage: number;
  /** Directory of the built UIs (broadcaster-ui/dist, viewer-ui/dist); the repo root by default. */
  uiRoot: string;
  logLevel: string;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<IngestConfig> = {},
): IngestConfig {
  const apiSecret = overrides.apiSecret ?? env.STAGECAST_API_SECRET;
  if (!apiSecret) throw new Error('STAGECAST_API_SECRET is required (npm start generates one on first run)');
  const config: IngestConfig = {
    port: intFromEnv(env, 'PORT', 8080),
    host: env.STAGECAST_HOST ?? '0.0.0.0',
    apiSecret,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    dataDir: resolve(env.STAGECAST_DATA_DIR ?? './data'),
    publicUrl: env.STAGECAST_PUBLIC_URL,
    listenIp: env.STAGECAST_LISTEN_IP ?? '127.0.0.1',
    announcedIp: env.STAGECAST_ANNOUNCED_IP || undefined,
    rtcMinPort: intFromEnv(env, 'STAGECAST_RTC_MIN_PORT', 40000),
    rtcMaxPort: intFromEnv(env, 'STAGECAST_RTC_MAX_PORT', 49999),
    numWorkers: intFromEnv(env, 'STAGECAST_WORKERS', cpus().length),
    maxStage: intFromEnv(env, 'STAGECAST_MAX_STAGE', 9),
    uiRoot: resolve(env.STAGECAST_UI_ROOT ?? new URL('../..', import.meta.url).pathname),
    logLevel: env.LOG_LEVEL ?? 'info',
    ...overrides,
  };
  if (config.rtcMinPort > config.rtcMaxPort)
    throw new Error('STAGECAST_RTC_MIN_PORT must not exceed STAGECAST_RTC_MAX_PORT');
  if (config.numWorkers < 1) config.numWorkers = 1;
  return config;
}
