import { parseArgs } from 'node:util';
import { joinWithCode } from '@stagecast/sdk';
import { Bot } from './Bot.js';

const usage = `Usage: npm run bot -- --link <host or co-host link> [--name NAME] [--video testsrc|FILE] [--audio sine|FILE]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      link: { type: 'string' },
      name: { type: 'string', default: 'Bot' },
      video: { type: 'string', default: 'testsrc' },
      audio: { type: 'string', default: 'sine' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.link) {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  const link = new URL(values.link);
  const code = link.pathname.split('/').filter(Boolean).pop() ?? '';
  const joined = await joinWithCode(link.origin, code, values.name);
  if (joined.role === 'viewer') throw new Error('A viewer link cannot publish: use the host or co-host link');
  const bot = await Bot.start({
    url: link.origin,
    token: joined.token,
    name: values.name,
    video: values.video,
    audio: values.audio,
    onLog: (line) => console.error(`[ffmpeg] ${line}`),
  });
  console.log(`${values.name} is on stage in "${joined.roomName}" (producers ${bot.producerIds.video}, ${bot.producerIds.audio}). Ctrl+C to stop.`);
  bot.room.on('closed', (_reason, message) => {
    console.log(`Room closed: ${message}`);
    void bot.stop().then(() => process.exit(0));
  });
  const stop = () => void bot.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`Bot failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(usage);
  process.exit(1);
});
