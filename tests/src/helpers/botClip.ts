import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A 10 s WebM (VP8 + Opus) showing the bot's name, for a bot to loop without encoding: on two
 * cores a live-encoding bot takes CPU the browsers and the compositor of a test need.
 */
export async function botClip(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stagecast-bot-'));
  // A text file: the name needs no escaping inside the filter graph.
  await writeFile(join(dir, 'name.txt'), name);
  const clip = join(dir, 'bot.webm');
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '10',
    '-vf', `drawtext=font=Sans:textfile=${join(dir, 'name.txt')}:fontsize=36:fontcolor=white:box=1:boxcolor=black@0.5:x=20:y=20`,
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-g', '30',
    '-c:a', 'libopus', '-ac', '2', '-ar', '48000', '-b:a', '48k',
    clip,
  ]);
  return clip;
}
