// A child process of chat-fanout.mjs holding a few hundred viewer sockets. Each delivery is
// timestamped against the wall clock the sender wrote into the message (one machine: one
// clock), kept in a 1 ms histogram, and counted per message so the parent can find losses.
import { connectSocket } from './socketClient.mjs';

/** Latencies above this land in the last bucket (and count as "≥ 10 s"). */
const MAX_BUCKET_MS = 10_000;
const now = () => performance.timeOrigin + performance.now();

const sockets = [];
let histogram = new Array(MAX_BUCKET_MS + 1).fill(0);
let received = new Map();
let deliveries = 0;

function onMessage(message) {
  const sentAt = Number(message.text.split(' ')[1]);
  const latency = Math.max(0, now() - sentAt);
  histogram[Math.min(MAX_BUCKET_MS, Math.floor(latency))]++;
  received.set(message.id, (received.get(message.id) ?? 0) + 1);
  deliveries++;
}

process.on('message', async (msg) => {
  switch (msg.type) {
    case 'connect': {
      let failed = 0;
      // A few at a time: the handshakes share the machine with the server.
      for (let i = 0; i < msg.tokens.length; i += 25) {
        const batch = await Promise.allSettled(
          msg.tokens
            .slice(i, i + 25)
            .map((token) => connectSocket(msg.url, token).then((s) => s.on('chat:message', onMessage))),
        );
        for (const result of batch) {
          if (result.status === 'fulfilled') sockets.push(result.value);
          else failed++;
        }
      }
      process.send({ type: 'connected', connected: sockets.length, failed });
      break;
    }
    case 'reset':
      histogram = new Array(MAX_BUCKET_MS + 1).fill(0);
      received = new Map();
      deliveries = 0;
      process.send({ type: 'reset' });
      break;
    case 'report': {
      const disconnected = sockets.filter((s) => !s.connected).length;
      process.send({ type: 'report', histogram, deliveries, received: [...received], disconnected });
      break;
    }
    case 'stop':
      for (const socket of sockets) socket.disconnect();
      process.exit(0);
  }
});
