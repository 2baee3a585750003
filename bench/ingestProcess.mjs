// Starts ingest as its own process (so its CPU can be measured) on a free port.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { BENCH_REDIS_URL } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
export const BENCH_SECRET = 'bench-secret-0123456789abcdefghijklmnop';

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startIngest(extraEnv = {}) {
  const redis = new Redis(BENCH_REDIS_URL);
  await redis.flushdb();
  await redis.quit();
  const port = await freePort();
  const dataDir = extraEnv.STAGECAST_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'stagecast-bench-'));
  const child = spawn(process.execPath, [join(root, 'ingest/dist/main.js')], {
    env: {
      ...process.env,
      REDIS_URL: BENCH_REDIS_URL,
      PORT: String(port),
      STAGECAST_API_SECRET: BENCH_SECRET,
      STAGECAST_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      STAGECAST_WORKERS: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (method, path, body) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${BENCH_SECRET}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  };
  return {
    url,
    pid: child.pid,
    dataDir,
    api,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        // An ingest that hangs on shutdown is ended by its pid.
        setTimeout(
          () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'),
          15_000,
        ).unref();
      }),
  };
}
