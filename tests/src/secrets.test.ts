import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ownRedisDatabase, TestIngest, TEST_SECRET, waitFor } from './helpers/servers.js';
import { rawRequest } from './helpers/rawHttp.js';

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const opened: TestIngest[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const ingest of opened) await ingest.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs a Node script to its end (or until `until` matches its output, then stops it by pid). */
function run(
  script: string,
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [repo(script)], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish; output:\n${output}`));
    }, 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (until?.test(output)) child.kill('SIGTERM');
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('secrets', () => {
  it('refuses to start with an API secret shorter than 32 characters', async () => {
    const { code, output } = await run('ingest/dist/main.js', {
      STAGECAST_API_SECRET: 'x'.repeat(31),
      PORT: '0',
    });
    expect(code).toBe(1);
    expect(output).toContain('STAGECAST_API_SECRET must be at least 32 characters');
  });

  it('npm start prints a generated secret once, and keeps it readable by its owner only', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stagecast-start-'));
    dirs.push(dataDir);
    const env = {
      STAGECAST_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      REDIS_URL: await ownRedisDatabase(3),
      STAGECAST_API_SECRET: '',
      STAGECAST_WORKERS: '1',
    };
    const first = await run('infra/start.mjs', env, /Put a test publisher on stage/);
    const file = join(dataDir, 'api-secret');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const shown = /shown this once: (\S+)/.exec(first.output)?.[1];
    expect(shown?.length).toBeGreaterThanOrEqual(32);

    const second = await run('infra/start.mjs', env, /Put a test publisher on stage/);
    expect(second.output).toContain(`API secret (Authorization: Bearer …): in ${file}`);
    expect(second.output).not.toContain(shown);
  });

  it('serves /metrics only with the API secret, or openly on its own listener', async () => {
    const ingest = await TestIngest.start({ metricsListen: { host: '127.0.0.1', port: 0 } });
    opened.push(ingest);
    const anonymous = await rawRequest(ingest.url, { target: '/metrics' });
    expect([anonymous.status, anonymous.code]).toEqual([401, 'UNAUTHORIZED']);
    const wrong = await rawRequest(ingest.url, {
      target: '/metrics',
      headers: { authorization: 'Bearer not-the-secret' },
    });
    expect([wrong.status, wrong.code]).toEqual([401, 'UNAUTHORIZED']);
    const authorised = await rawRequest(ingest.url, {
      target: '/metrics',
      headers: { authorization: `Bearer ${TEST_SECRET}` },
    });
    expect(authorised.status).toBe(200);
    expect(authorised.text).toContain('stagecast_rooms');

    const port = await waitFor(() => ingest.server.metricsPort, 'the metrics listener');
    const own = await rawRequest(`http://127.0.0.1:${port}`, { target: '/metrics' });
    expect(own.status).toBe(200);
    expect(own.text).toContain('stagecast_mediasoup_workers');
    expect((await rawRequest(`http://127.0.0.1:${port}`, { target: '/api/rooms' })).status).toBe(404);
  });
});
