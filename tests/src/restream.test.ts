import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  MAX_RESTREAMS,
  type RestreamDestination,
  type RestreamListResponse,
  type RoomInfo,
} from '@stagecast/protocol';
import type { Room } from '@stagecast/sdk';
import type { Page } from 'playwright-core';
import { launchChromium } from './helpers/chromium.js';
import { Bot } from './bot/Bot.js';
import { botClip } from './helpers/botClip.js';
import { refusal } from './helpers/events.js';
import { fetchPlaylist } from './helpers/hls.js';
import { freePort, ownRedisDatabase, TestIngest, waitFor } from './helpers/servers.js';
import { childPids, TranscoderProcess } from './helpers/transcoderProcess.js';

const run = promisify(execFile);
const ARTIFACTS = new URL('../artifacts', import.meta.url).pathname;
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
/** What a service hands out: long enough that its masked form shows its last four characters. */
const STREAM_KEY = 'sk-live-7f3a9c2e5b8d1f04';
const MASKED = '••••1f04';
/** Retries stop growing here in this test, so that a restarted server is found again soon. */
const RETRY_MAX_S = 3;

/** nginx with the RTMP module, as its own process on a port of 127.0.0.1, everything in `dir`. */
class RtmpServer {
  private child: ChildProcess | undefined;
  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<RtmpServer> {
    const dir = await mkdtemp(join(tmpdir(), 'stagecast-rtmp-'));
    const server = new RtmpServer(dir, await freePort());
    await writeFile(
      join(dir, 'nginx.conf'),
      `load_module ${RTMP_MODULE};
daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${server.port};
    application live { live on; record off; }
  }
}
`,
    );
    return server;
  }

  get url(): string {
    return `rtmp://127.0.0.1:${this.port}/live`;
  }

  async start(): Promise<void> {
    this.child = spawn('/usr/sbin/nginx', ['-p', this.dir, '-c', join(this.dir, 'nginx.conf')], {
      stdio: 'ignore',
    });
    await waitFor(
      () =>
        run('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${this.port}`])
          .then(() => true)
          .catch(() => false),
      'nginx-rtmp to listen',
      10_000,
    );
  }

  /** SIGKILL: the destination goes away as when its machine fails. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  async close(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

let ingest: TestIngest;
let transcoder: TranscoderProcess;
let rtmp: RtmpServer;
let bot: Bot | undefined;
let host: Room | undefined;
let roomId = '';

beforeAll(async () => {
  process.env.STAGECAST_SEGMENT_SECONDS = '2';
  const redisUrl = await ownRedisDatabase(13);
  ingest = await TestIngest.start({ redisUrl });
  transcoder = TranscoderProcess.start({
    dataDir: ingest.dataDir,
    redisUrl,
    extra: { STAGECAST_RESTREAM_RETRY_MAX_S: String(RETRY_MAX_S), LOG_LEVEL: 'info' },
  });
  rtmp = await RtmpServer.create();
  await rtmp.start();
  roomId = (await ingest.createRoom('Restream day')).id;
  await botClip('Alice');
}, 120_000);

afterAll(async () => {
  host?.close();
  await bot?.stop();
  await ingest?.api('POST', `/api/rooms/${roomId}/broadcast`, { action: 'stop' }).catch(() => undefined);
  await transcoder?.stop();
  await rtmp?.close();
  await ingest?.close();
}, 60_000);

beforeEach(() => {
  onTestFailed(() =>
    console.error(`--- transcoder (pid ${transcoder.pid}) ---\n${transcoder.output.join('')}`),
  );
});

async function room(): Promise<RoomInfo> {
  const { status, body } = await ingest.api<RoomInfo>('GET', `/api/rooms/${roomId}`);
  if (status !== 200) throw new Error(`GET room: HTTP ${status}`);
  return body;
}

async function destination(): Promise<RestreamDestination | undefined> {
  return (await room()).restreams[0];
}

/**
 * Codec names ffprobe reads from the RTMP server, as a player would. A few tries: when the
 * compositor restarts on a loaded machine (a new run, a new init segment), the restream
 * publishes again, and a player reading across that switch sees a broken packet.
 */
async function probeRtmp(url: string): Promise<string[]> {
  return waitFor(
    async () => {
      const { stdout } = await run(
        'ffprobe',
        ['-v', 'error', '-rw_timeout', '15000000', '-show_entries', 'stream=codec_name', '-of', 'json', url],
        { timeout: 40_000 },
      );
      const parsed = JSON.parse(stdout) as { streams?: { codec_name?: string }[] };
      const codecs = (parsed.streams ?? []).map((s) => s.codec_name ?? '');
      return codecs.includes('h264') && codecs.includes('aac') ? codecs : null;
    },
    'ffprobe to read H.264 and AAC from the RTMP server',
    90_000,
    1000,
  );
}

const media = () => `${ingest.url}/hls/${roomId}/720p/index.m3u8`;
async function newestSegment(): Promise<number> {
  const playlist = await fetchPlaylist(media());
  if (!playlist) return -1;
  return (playlist.manifest.mediaSequence ?? 0) + playlist.manifest.segments.length - 1;
}

/** The transcoder's restream FFmpeg processes (their command line pushes FLV to RTMP). */
function restreamPids(): number[] {
  return childPids(transcoder.pid, 'ffmpeg').filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('-rtmp_live');
    } catch {
      return false;
    }
  });
}

async function restreamLogs(): Promise<string> {
  const dir = join(ingest.dataDir, 'transcoder', roomId, 'logs');
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith('restream-'));
  expect(files.length).toBeGreaterThan(0);
  return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
}

describe('restream destinations: validation and roles', () => {
  it('refuses http:// and file:// URLs, a missing key, a sixth destination; viewers, co-hosts and tokens cannot add one', async () => {
    const path = `/api/rooms/${roomId}/restreams`;
    const add = (body: unknown) => ingest.api<{ error: { code: string } }>('POST', path, body);
    for (const url of [
      'http://example.com/live',
      'file:///etc/passwd',
      'rtmp://user:pw@example.com/live',
      'nope',
    ]) {
      const answer = await add({ label: 'Bad', url, streamKey: 'abc' });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error.code, url).toBe('RESTREAM_URL_INVALID');
    }
    const noKey = await add({ label: 'No key', url: rtmp.url });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.code).toBe('BAD_REQUEST');
    const emptyKey = await add({ label: 'Empty key', url: rtmp.url, streamKey: '' });
    expect(emptyKey.status).toBe(400);

    // A room token is not the API secret.
    const hostToken = await ingest.token(roomId, 'host', 'Hana');
    const byToken = await ingest.api('POST', path, { label: 'X', url: rtmp.url, streamKey: 'k' }, hostToken);
    expect(byToken.status).toBe(401);

    for (const role of ['viewer', 'cohost'] as const) {
      const member = await ingest.join(roomId, role, `A ${role}`);
      const refused = await refusal(
        member.request('restream:add', { label: 'Mine', url: rtmp.url, streamKey: 'k' }),
      );
      expect(refused.code, role).toBe('FORBIDDEN');
      expect((await refusal(member.request('restream:list', {}))).code, role).toBe('FORBIDDEN');
      member.close();
    }

    const ids: string[] = [];
    for (let i = 0; i < MAX_RESTREAMS; i++) {
      const created = await ingest.api<{ restream: RestreamDestination }>('POST', path, {
        label: `Dest ${i}`,
        url: 'rtmps://live.example.com/app',
        streamKey: `key-${i}-abcdefghijkl`,
      });
      expect(created.status).toBe(201);
      ids.push(created.body.restream.id);
    }
    const sixth = await add({ label: 'Sixth', url: rtmp.url, streamKey: 'k' });
    expect(sixth.status).toBe(400);
    expect(sixth.body.error.code).toBe('RESTREAM_LIMIT');
    const listed = await ingest.api<RestreamListResponse>('GET', path);
    expect(listed.body.restreams.map((r) => r.state)).toEqual(Array(MAX_RESTREAMS).fill('idle'));
    expect(JSON.stringify(listed.body)).not.toContain('abcdefghijkl');
    for (const id of ids) expect((await ingest.api('DELETE', `${path}/${id}`)).status).toBe(204);
    expect((await ingest.api('DELETE', `${path}/${ids[0]}`)).status).toBe(404);
  }, 60_000);
});

/** Moves the keyboard focus to the control named `name` with Tab (at most 120 presses). */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const label = el?.closest('label')?.querySelector('span')?.textContent;
      return (el?.getAttribute('aria-label') ?? label ?? el?.textContent ?? '').trim();
    });
    if (focused === name) return;
  }
  throw new Error(`"${name}" cannot be reached with the keyboard`);
}

describe('restream destinations in the host app', () => {
  it('a host adds and removes a destination from the keyboard at 360 px; the key is shown masked', async () => {
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ viewport: { width: 360, height: 740 } })).newPage();
      const { body } = await ingest.api<{ links: { host: string } }>('GET', `/api/rooms/${roomId}`);
      await page.goto(body.links.host);
      await page.getByLabel('Your name').fill('Hana');
      await page.getByRole('button', { name: 'Join stage' }).click();
      await page.getByRole('tab', { name: 'Broadcast' }).click();
      const panel = page.getByTestId('restream');
      await panel.getByText('No destinations yet.').waitFor();

      await tabTo(page, 'Name');
      await page.keyboard.type('My RTMP');
      await page.keyboard.press('Tab');
      await page.keyboard.type(rtmp.url);
      await page.keyboard.press('Tab');
      await page.keyboard.type(STREAM_KEY);
      await page.keyboard.press('Enter');
      const item = panel.locator('li', { hasText: 'My RTMP' });
      await item.waitFor();
      const text = await item.innerText();
      expect(text).toContain(MASKED);
      expect(text).toContain('Waiting for the broadcast');
      await mkdir(ARTIFACTS, { recursive: true });
      await panel.screenshot({ path: join(ARTIFACTS, 'restream-panel-mobile.png') });
      expect(await page.content()).not.toContain(STREAM_KEY);
      // Usable at 360 px: nothing of the panel sticks out sideways.
      const overflow = await panel.evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      expect(
        (await ingest.api<RestreamListResponse>('GET', `/api/rooms/${roomId}/restreams`)).body.restreams,
      ).toHaveLength(1);

      await tabTo(page, 'Remove My RTMP');
      await page.keyboard.press('Enter');
      await panel.getByText('No destinations yet.').waitFor();
      expect((await room()).restreams).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('restream to RTMP (nginx-rtmp)', () => {
  it('a live broadcast restreams H.264 and AAC by stream copy; status live in GET /api/rooms/:id', async () => {
    bot = await Bot.start({
      url: ingest.url,
      token: await ingest.token(roomId, 'cohost', 'Alice'),
      name: 'Alice',
      webm: await botClip('Alice'),
    });
    host = await ingest.join(roomId, 'host', 'Hana');
    const pushed: RestreamDestination[][] = [];
    host.socket.on('restream:destinations', (list) => pushed.push(list));
    await host.request('broadcast:start', {});
    await waitFor(async () => (await room()).live.state === 'live', 'the broadcast to be live', 60_000);

    const added = await host.request('restream:add', {
      label: 'Test RTMP',
      url: rtmp.url,
      streamKey: STREAM_KEY,
    });
    expect(added.streamKeyMasked).toBe(MASKED);
    expect(JSON.stringify(added)).not.toContain(STREAM_KEY);

    const live = await waitFor(
      async () => ((await destination())?.state === 'live' ? destination() : null),
      'the destination to be live',
      45_000,
    );
    expect(live).toMatchObject({ label: 'Test RTMP', url: rtmp.url, streamKeyMasked: MASKED });
    expect(await probeRtmp(`${rtmp.url}/${STREAM_KEY}`)).toEqual(expect.arrayContaining(['h264', 'aac']));
    // Hosts were told as it happened.
    await waitFor(() => pushed.some((list) => list[0]?.state === 'live'), 'hosts to hear it is live');
    // One FFmpeg of its own for the destination, beside the compositor's.
    await waitFor(() => restreamPids().length === 1, 'one restream FFmpeg');
    expect(childPids(transcoder.pid, 'ffmpeg').length).toBeGreaterThan(1);
  }, 240_000);

  it('nginx killed: the destination is failed with a reason while HLS goes on; restarted: live again', async () => {
    await rtmp.kill();
    const failed = await waitFor(
      async () => ((await destination())?.state === 'failed' ? destination() : null),
      'the destination to be failed',
      30_000,
    );
    expect(failed.reason).toBeTruthy();
    expect(failed.reason).not.toContain(STREAM_KEY);

    const before = await newestSegment();
    await waitFor(
      async () => (await newestSegment()) >= before + 2,
      'HLS to go on (two new segments)',
      30_000,
    );
    expect((await destination())?.state).toBe('failed');

    await rtmp.start();
    await waitFor(
      async () => (await destination())?.state === 'live',
      'the destination to be live again',
      RETRY_MAX_S * 1000 + 45_000,
    );
    expect(await probeRtmp(`${rtmp.url}/${STREAM_KEY}`)).toEqual(expect.arrayContaining(['h264', 'aac']));
  }, 240_000);

  it('the stream key never appears in GET answers nor in the transcoder output and logs', async () => {
    const info = await ingest.api('GET', `/api/rooms/${roomId}`);
    const list = await ingest.api('GET', `/api/rooms/${roomId}/restreams`);
    expect(JSON.stringify(info.body)).not.toContain(STREAM_KEY);
    expect(JSON.stringify(list.body)).toContain(MASKED);
    expect(JSON.stringify(list.body)).not.toContain(STREAM_KEY);
    const output = transcoder.output.join('');
    // It did log the restream's story (info level), with the key masked.
    expect(output).toContain('restream live');
    expect(output).not.toContain(STREAM_KEY);
    const logs = await restreamLogs();
    expect(logs).toContain(MASKED);
    expect(logs).not.toContain(STREAM_KEY);
  });

  it('removing the destination stops its upload at once; the compositor goes on', async () => {
    const id = (await destination())?.id ?? '';
    expect(await host?.request('restream:remove', { id })).toEqual({});
    await waitFor(() => restreamPids().length === 0, 'the restream FFmpeg to exit', 15_000);
    expect((await room()).restreams).toEqual([]);
    const before = await newestSegment();
    await waitFor(async () => (await newestSegment()) > before, 'HLS to go on', 30_000);
  }, 60_000);
});
