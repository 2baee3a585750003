// Starts a transcoder as its own process next to a bench ingest.
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_REDIS_URL } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;

export function startTranscoder(dataDir, extraEnv = {}) {
  const child = spawn(process.execPath, [join(root, 'transcoder/dist/main.js')], {
    env: { ...process.env, REDIS_URL: BENCH_REDIS_URL, STAGECAST_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return {
    pid: child.pid,
    /** Pids of the FFmpeg processes this transcoder runs now. */
    ffmpegPids() {
      try {
        return execFileSync('pgrep', ['-P', String(child.pid), 'ffmpeg'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}
