// A child process of chat-fanout.mjs: the hosts who send. Each message carries its send time
// (wall clock, ms with decimals) for the receivers; the acknowledged ids go back to the parent,
// which counts every viewer that should have had them.
import { connectSocket } from './socketClient.mjs';

const now = () => performance.timeOrigin + performance.now();

process.on('message', async (msg) => {
  if (msg.type === 'connect') {
    // [{ roomId, tokens: [...] }]: the senders of each room.
    const rooms = [];
    for (const room of msg.rooms)
      rooms.push(await Promise.all(room.tokens.map((token) => connectSocket(msg.url, token))));
    process.send({ type: 'connected' });

    process.once('message', async ({ seconds, perRoomPerSecond }) => {
      // The `start` message.
      const acked = [];
      const refused = {};
      const pending = [];
      const intervalMs = 1000 / perRoomPerSecond;
      const started = now();
      let n = 0;
      // One tick per interval: every room sends one message, its senders taking turns.
      await new Promise((resolve) => {
        const tick = () => {
          if (now() - started >= seconds * 1000) return resolve();
          rooms.forEach((senders, r) => {
            const socket = senders[n % senders.length];
            const text = `t ${now().toFixed(3)}`;
            pending.push(
              socket
                .timeout(10_000)
                .emitWithAck('chat:send', { clientId: `b-${r}-${n}`, text })
                .then(
                  (ack) => {
                    if (ack.ok) acked.push({ id: ack.data.id, room: r });
                    else refused[ack.error.code] = (refused[ack.error.code] ?? 0) + 1;
                  },
                  () => {
                    refused.NO_ANSWER = (refused.NO_ANSWER ?? 0) + 1;
                  },
                ),
            );
          });
          n++;
          // Against the schedule, not the last tick: a slow tick does not lower the rate.
          setTimeout(tick, Math.max(0, started + n * intervalMs - now()));
        };
        tick();
      });
      const sendMs = now() - started;
      await Promise.all(pending);
      process.send({ type: 'done', acked, refused, sendMs });
      for (const senders of rooms) for (const socket of senders) socket.disconnect();
      process.exit(0);
    });
  }
});
