import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Length of the clip a bot loops: long enough that the loop is not obvious, short to make. */
export const BOT_CLIP_SECONDS = 10;

/** Where clips are kept between runs (one file per name and recipe). */
export const BOT_CLIP_DIR = join(tmpdir(), 'stagecast-bot-clips');

/** What `buildBotClipArgs` needs: file names relative to FFmpeg's working directory. */
export interface BotClipFiles {
  /** A text file holding the bot's name. */
  nameFile: string;
  /** The WebM to write. */
  output: string;
}

/**
 * FFmpeg arguments that encode the bot clip: testsrc2 with the name burned in and a 440 Hz
 * tone, VP8 + Opus in WebM, with progress as `key=value` lines on stdout.
 */
export function buildBotClipArgs(files: BotClipFiles): string[] {
  // The name is read from a file and drawn verbatim (expansion=none: a `%` would otherwise start
  // an expansion and drop the whole text), so it needs no escaping; the file names are relative
  // (FFmpeg runs in the cache directory), so the temp directory's path needs none either.
  const label = `drawtext=font=Sans:textfile=${files.nameFile}:expansion=none:fontsize=36:fontcolor=white:box=1:boxcolor=black@0.5:x=20:y=20`;
  // prettier-ignore
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-nostats', '-progress', 'pipe:1', // machine-readable progress (out_time_us=…) instead of the human line
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(BOT_CLIP_SECONDS),
    '-vf', label,
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k',
    '-g', '30', // FFmpeg ignores key frame requests (PLI) and the clip is copied: a 1 s GOP lets a consumer start within a second
    '-c:a', 'libopus', '-ac', '2', '-ar', '48000', '-b:a', '48k',
    '-f', 'webm', // the temp file's name must not decide the format
    files.output,
  ];
}

/**
 * The cache key: the name and the recipe itself, so a changed recipe makes new clips instead
 * of reusing stale ones.
 */
function clipKey(name: string): string {
  const recipe = buildBotClipArgs({ nameFile: '<name>', output: '<output>' });
  return createHash('sha256').update(JSON.stringify({ name, recipe })).digest('hex').slice(0, 16);
}

/** The cached clip's file name: readable for a person looking in the directory, unique by key. */
function clipFileName(name: string): string {
  const slug = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'bot';
  return `${slug}-${clipKey(name)}.webm`;
}

export interface BotClipOptions {
  /** Called while the clip is being made (never when it is cached), with the share done from 0 to 1. */
  onProgress?: (done: number) => void;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Runs FFmpeg in `cwd`, reporting progress; rejects with FFmpeg's error output. */
function encode(args: string[], cwd: string, onProgress?: (done: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const ffmpeg = spawn('ffmpeg', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    ffmpeg.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    ffmpeg.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const match of chunk.matchAll(/^out_time_us=(\d+)$/gm)) {
        onProgress?.(Math.min(1, Number(match[1]) / 1e6 / BOT_CLIP_SECONDS));
      }
    });
    ffmpeg.once('error', reject);
    ffmpeg.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg could not make the bot clip (${signal ?? code}): ${errors.trim()}`));
    });
  });
}

async function makeClip(name: string, options: BotClipOptions): Promise<string> {
  await mkdir(BOT_CLIP_DIR, { recursive: true });
  const clip = join(BOT_CLIP_DIR, clipFileName(name));
  if (await exists(clip)) return clip;
  // Unique temp names, renamed into place when complete: another process making the same clip
  // at the same time never sees (or leaves) half a file.
  const base = `${clipFileName(name)}.${process.pid}-${randomBytes(4).toString('hex')}`;
  const files = { nameFile: `${base}.txt`, output: `${base}.tmp` };
  try {
    await writeFile(join(BOT_CLIP_DIR, files.nameFile), name);
    await encode(buildBotClipArgs(files), BOT_CLIP_DIR, options.onProgress);
    await rename(join(BOT_CLIP_DIR, files.output), clip);
  } finally {
    await rm(join(BOT_CLIP_DIR, files.nameFile), { force: true });
    await rm(join(BOT_CLIP_DIR, files.output), { force: true });
  }
  return clip;
}

const making = new Map<string, Promise<string>>();

/**
 * A 10 s WebM (VP8 + Opus) showing the bot's name, for a bot to loop without encoding: on two
 * cores a live-encoding bot takes CPU the browsers and the compositor need, and falls behind
 * real time. Made once per name and recipe, then taken from `BOT_CLIP_DIR`.
 */
export function botClip(name: string, options: BotClipOptions = {}): Promise<string> {
  // Bots of one process that start together share one encode.
  let clip = making.get(name);
  if (!clip) {
    clip = makeClip(name, options);
    making.set(name, clip);
    // A failed encode may be retried.
    clip.catch(() => making.delete(name));
  }
  return clip;
}
