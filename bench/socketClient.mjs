// A bare Socket.IO client of the benchmarks' load generators: one connection each, no retries.
import { io } from 'socket.io-client';

export function connectSocket(url, token) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}
