import { Dealer } from 'zeromq';

/** A command FFmpeg did not take (its zmq filter answers `<code> <message>`, 0 meaning success). */
export interface CommandFailure {
  command: string;
  reply: string;
}

/** One connection to FFmpeg's zmq filter, with the replies it still waits for, in order. */
interface Connection {
  socket: Dealer;
  waiting: ((reply: string) => void)[];
  sending: Promise<void>;
}

/**
 * Sends runtime filter commands to one FFmpeg's zmq filter. A Dealer socket (not Request)
 * lets a whole change go out at once: the filter reads every queued command before the
 * frame it is on moves on, so one change lands on one frame. Replies come back in order.
 *
 * Replies carry no id, so they are matched to commands by order: one lost message would
 * shift every later reply onto the wrong command, for good. So a batch left unanswered
 * drops the connection; the next batch goes out on a new one (FFmpeg keeps serving the new
 * peer, and whatever the old one still had coming is discarded with it).
 */
export class FilterCommander {
  private connection: Connection;
  private closed = false;

  constructor(private readonly port: number) {
    this.connection = this.connect();
  }

  /**
   * Sends the commands of one change and resolves with those that failed. Rejects when
   * FFmpeg does not answer in time (busy, stalled or gone: the caller decides).
   */
  send(commands: readonly string[], timeoutMs: number): Promise<CommandFailure[]> {
    if (this.closed) return Promise.reject(new Error('the commander is closed'));
    const connection = this.connection;
    const replies = commands.map(
      (command) =>
        new Promise<CommandFailure | null>((resolve) =>
          connection.waiting.push((reply) => resolve(reply.startsWith('0 ') ? null : { command, reply })),
        ),
    );
    // One send at a time on a zeromq socket; the whole batch is queued back to back.
    connection.sending = connection.sending.then(async () => {
      for (const command of commands) await connection.socket.send(['', command]);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`FFmpeg did not answer ${commands.length} filter commands within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
    });
    return Promise.race([connection.sending.then(() => Promise.all(replies)), timeout])
      .then((all) => all.filter((f): f is CommandFailure => f !== null))
      .catch((error: unknown) => {
        this.replace(connection);
        throw error;
      })
      .finally(() => clearTimeout(timer));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.socket.close();
  }

  /** Drops a connection that lost track of its replies (or failed to send); the next batch uses a new one. */
  private replace(connection: Connection): void {
    if (this.connection !== connection || this.closed) return;
    connection.socket.close();
    this.connection = this.connect();
  }

  private connect(): Connection {
    const socket = new Dealer({ linger: 0 });
    socket.connect(`tcp://127.0.0.1:${this.port}`);
    const connection: Connection = { socket, waiting: [], sending: Promise.resolve() };
    void (async () => {
      try {
        for await (const frames of socket) connection.waiting.shift()?.(frames.at(-1)?.toString() ?? '');
      } catch {
        // Closed: nothing more will answer on this connection.
      }
    })();
    return connection;
  }
}
