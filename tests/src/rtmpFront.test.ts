import { execFile, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestKeyCreated } from '@stagecast/protocol';
import type { Room } from '@stagecast/sdk';
import { publishRtmp } from './helpers/rtmpPublisher.js';
import { freePort, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';

/*
 * The RTMP front (Debian's nginx-rtmp, a child of the ingest) is supervised: killed outright,
 * master and worker both go, it is started again by itself, and an encoder that reconnects is
 * back on the stage, without restarting the ingest.
 */

const run = promisify(execFile);
let ingest: TestIngest;
let rtmpPort = 0;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  rtmpPort = await freePort();
  ingest = await TestIngest.start({ redisUrl: await ownRedisDatabase(12), rtmpPort });
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  await ingest?.close();
}, 60_000);

/** An encoder publishing by RTMP (as OBS does), until killed. */
function publish(url: string): ChildProcess {
  const { ffmpeg } = publishRtmp(url, { size: '320x180', rate: 15 });
  cleanups.push(() => ffmpeg.kill('SIGKILL'));
  return ffmpeg;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('rtmp front', () => {
  it(
    'nginx killed: its worker goes too, it comes back by itself and a reconnecting encoder is on stage again',
    { timeout: 180_000 },
    async () => {
      const { id } = await ingest.createRoom('RTMP front restart');
      const host: Room = await ingest.join(id, 'host', 'Hanna Host');
      cleanups.push(() => host.close());
      const created = await ingest.api<IngestKeyCreated>('POST', `/api/rooms/${id}/ingest`, {
        name: 'Otto OBS',
      });
      const url = `${created.body.rtmpUrl}/${created.body.streamKey}`;
      const onStage = () => host.stage.some((p) => p.name === 'Otto OBS' && p.producers.length === 2);

      const first = publish(url);
      await waitFor(onStage, 'the encoder on stage', 60_000);

      const pidFile = join(ingest.dataDir, 'rtmp-front', 'nginx.pid');
      const master = Number((await readFile(pidFile, 'utf8')).trim());
      const workers = (await run('pgrep', ['-P', String(master)])).stdout
        .split('\n')
        .filter(Boolean)
        .map(Number);
      expect(workers.length).toBeGreaterThan(0);
      process.kill(master, 'SIGKILL');

      // The worker held the listening socket: left behind, it would keep the port from a new nginx.
      await waitFor(() => workers.every((pid) => !alive(pid)), "nginx's worker gone with its master", 10_000);
      await waitFor(() => first.exitCode !== null, 'the encoder cut off', 30_000);
      await waitFor(() => !onStage(), 'the encoder off the stage', 30_000);

      // Back by itself (the first restart waits 1 s), under a new master.
      await waitFor(
        async () =>
          (await listening(rtmpPort)) && Number((await readFile(pidFile, 'utf8')).trim()) !== master,
        'the RTMP front listening again',
        20_000,
      );
      publish(url);
      await waitFor(onStage, 'the reconnected encoder on stage', 60_000);
    },
  );
});
