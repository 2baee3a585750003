import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hlsLayout, hlsPaths } from '@stagecast/protocol';
import { ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { LlHlsWriter } from './helpers/LlHlsWriter.js';

/** The sample's HLS locations, included as they are shipped. */
const SAMPLE = new URL('../../infra/nginx/stagecast-hls.conf', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let ingest: TestIngest;
let nginx: ChildProcess;
let dir: string;
let base: string;

beforeAll(async () => {
  ingest = await TestIngest.start({ redisUrl: await ownRedisDatabase(14) });
  dir = await mkdtemp(join(tmpdir(), 'stagecast-nginx-'));
  const port = await freePort();
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  // One process as the current user (no worker switching to `nobody`), everything in `dir`.
  const config = `daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  proxy_cache_path ${join(dir, 'cache')} levels=1:2 keys_zone=stagecast_hls:1m max_size=50m inactive=10m use_temp_path=off;
  upstream stagecast_ingest { server 127.0.0.1:${ingest.server.port}; keepalive 8; }
  server {
    listen 127.0.0.1:${port};
    include ${SAMPLE};
  }
}
`;
  await writeFile(join(dir, 'nginx.conf'), config);
  nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'inherit' });
  base = `http://127.0.0.1:${port}`;
  await waitFor(() => fetch(`${base}/hls/x/720p/none.m4s`).then(() => true), 'nginx to listen', 10_000);
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGTERM');
    await exited;
  }
  await ingest?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('LL-HLS through the nginx sample', () => {
  it('collapses blocked playlist requests for one part into one, and never caches a plain reload', async () => {
    const roomId = 'nginx1';
    const writer = await LlHlsWriter.create({ dir: join(ingest.dataDir, hlsLayout.liveDir(roomId)) });
    await writer.writePart();
    const url = `${base}${hlsPaths.media(roomId, '720p')}`;
    const next = writer.nextPart('720p');

    const held = [0, 1, 2].map(() => fetch(`${url}?_HLS_msn=0&_HLS_part=1`));
    let answered = false;
    void Promise.all(held).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 600));
    expect(answered).toBe(false);
    await writer.writePart();
    const answers = await Promise.all(held);
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`URI="${next}"`);
    }
    // One went to ingest; the others waited on the cache lock and got its answer.
    expect(answers.map((r) => r.headers.get('x-cache')).sort()).toEqual(['HIT', 'HIT', 'MISS']);

    // A plain reload is never answered from the cache: it shows a part the moment it exists.
    expect((await fetch(url)).headers.get('x-cache')).toBe('MISS');
    const newest = writer.nextPart('720p');
    await writer.writePart();
    expect(await (await fetch(url)).text()).toContain(`URI="${newest}"`);

    // The hinted part: held by ingest behind nginx, then served and cached for good.
    const hinted = writer.nextPart('720p');
    const partUrl = `${base}/${hlsLayout.liveDir(roomId)}/720p/${hinted}`;
    const part = fetch(partUrl);
    await new Promise((r) => setTimeout(r, 300));
    await writer.writePart();
    const res = await part;
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(2000);
    expect((await fetch(partUrl)).headers.get('x-cache')).toBe('HIT');
  });
});
