import { Dealer } from 'zeromq';

/** A command FFmpeg did not take (its zmq filter answers `<code> <message>`, 0 meaning success). */
export interface CommandFailure {
  command: string;
  reply: string;
}

/**
 * Sends runtime filter commands to one FFmpeg's zmq filter. A Dealer socket (not Request)
 * lets a whole change go out at once: the filter reads every queued command before the
 * frame it is on moves on, so one change lands on one frame. Replies come back in order.
 */
export class FilterCommander {
  private readonly socket = new Dealer({ linger: 0 });
  private readonly waiting: ((reply: string) => void)[] = [];
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(port: number) {
    this.socket.connect(`tcp://127.0.0.1:${port}`);
    void this.receive();
  }

  /**
   * Sends the commands of one change and resolves with those that failed. Rejects when
   * FFmpeg does not answer in time (it stalled or died: the job restarts it).
   */
  send(commands: readonly string[], timeoutMs: number): Promise<CommandFailure[]> {
    const replies = commands.map(
      (command) =>
        new Promise<CommandFailure | null>((resolve) =>
          this.waiting.push((reply) => resolve(reply.startsWith('0 ') ? null : { command, reply })),
        ),
    );
    // One send at a time on a zeromq socket; the whole batch is queued back to back.
    this.sending = this.sending.then(async () => {
      for (const command of commands) await this.socket.send(['', command]);
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
    return Promise.race([this.sending.then(() => Promise.all(replies)), timeout])
      .then((all) => all.filter((f): f is CommandFailure => f !== null))
      .finally(() => clearTimeout(timer));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.socket) this.waiting.shift()?.(frames.at(-1)?.toString() ?? '');
    } catch {
      // Closed: nothing more will answer.
    }
  }
}
