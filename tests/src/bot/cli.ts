import { parseArgs } from 'node:util';
import { joinWithCode } from '@stagecast/sdk';
import { BOT_CLIP_DIR, botClip } from '../helpers/botClip.js';
import { Bot } from './Bot.js';

const usage = `Usage: npm run bot -- --link <host or co-host link> [options]

Puts a publishing bot on the stage: FFmpeg sends VP8 + Opus over RTP, no browser needed.
By default it loops a pre-encoded 10 s clip (a test pattern with the bot's name and a
440 Hz tone) in real time without encoding, so it costs almost no CPU. The clip is made
once per name (about 5 s, longer on a busy machine) and kept in ${BOT_CLIP_DIR}.

Options:
  --link URL        host or co-host link of the room (required)
  --name NAME       name on stage and in the picture (default: Bot)
  --live-encode     encode 640x360 VP8 + Opus live instead: CPU-hungry (a quarter to half
                    a core), it falls behind real time on a loaded machine
  --video SRC       with --live-encode: testsrc (default) or a media file to loop
  --audio SRC       with --live-encode: sine (default) or a media file to loop
  --stats           print FFmpeg's progress every 5 s (speed=1x means real time)
  --help            show this help`;

/** The command line, validated. */
interface BotCli {
  link: URL;
  name: string;
  liveEncode: boolean;
  video: string;
  audio: string;
  stats: boolean;
}

/** Exits with the usage for --help or a bad command line. */
function parseCli(): BotCli {
  const { values } = parseArgs({
    options: {
      link: { type: 'string' },
      name: { type: 'string', default: 'Bot' },
      'live-encode': { type: 'boolean', default: false },
      video: { type: 'string' },
      audio: { type: 'string' },
      stats: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const fail = (message: string): never => {
    console.error(`${message}\n\n${usage}`);
    process.exit(2);
  };
  if (!values.link) return fail('--link is required.');
  // Silently switching to a live encode would bring back the CPU cost the clip avoids.
  if (!values['live-encode'] && (values.video || values.audio)) {
    return fail('--video and --audio choose what is encoded live: add --live-encode.');
  }
  let link: URL;
  try {
    link = new URL(values.link);
  } catch {
    return fail(`Not a link: ${values.link}`);
  }
  return {
    link,
    name: values.name,
    liveEncode: values['live-encode'],
    video: values.video ?? 'testsrc',
    audio: values.audio ?? 'sine',
    stats: values.stats,
  };
}

/** The clip for this name, made on the first start with progress in steps of 20 %. */
async function clip(name: string): Promise<string> {
  let shown = -1;
  const path = await botClip(name, {
    onProgress: (done) => {
      const step = Math.floor(done * 5) * 20;
      if (shown < 0) console.log(`Making the clip for "${name}" (first start with this name only)…`);
      if (step > shown) console.log(`  ${step} %`);
      shown = Math.max(shown, step);
    },
  });
  console.log(`Sending ${path} (looped in real time, not encoded).`);
  return path;
}

async function main(): Promise<void> {
  const cli = parseCli();
  const code = cli.link.pathname.split('/').filter(Boolean).pop() ?? '';
  // Before joining: the clip may take seconds, and a peer on stage sending nothing looks broken.
  const webm = cli.liveEncode ? undefined : await clip(cli.name);
  if (cli.liveEncode) console.log('Encoding live (CPU-hungry; use --stats to watch that speed stays at 1x).');
  const joined = await joinWithCode(cli.link.origin, code, cli.name);
  if (joined.role === 'viewer') throw new Error('A viewer link cannot publish: use the host or co-host link');
  const bot = await Bot.start({
    url: cli.link.origin,
    token: joined.token,
    name: cli.name,
    ...(webm ? { webm } : { video: cli.video, audio: cli.audio }),
    ...(cli.stats ? { statsPeriodS: 5 } : {}),
    onLog: (line) => console.error(`[ffmpeg] ${line}`),
  });
  console.log(
    `${cli.name} is on stage in "${joined.roomName}" (producers ${bot.producerIds.video}, ${bot.producerIds.audio}). Ctrl+C to stop.`,
  );
  let stopping = false;
  const stop = () => {
    stopping = true;
    void bot.stop().then(() => process.exit(0));
  };
  bot.room.on('closed', (_reason, message) => {
    // Our own Ctrl+C closes the room too: that needs no message.
    if (!stopping) console.log(`Room closed: ${message}`);
    stop();
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`Bot failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(usage);
  process.exit(1);
});
