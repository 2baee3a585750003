import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '@stagecast/protocol';

/** One request a webhook receiver got, with what it answered. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** null: it never answered. */
  answered: number | null;
}

/**
 * A real HTTP webhook endpoint on a free local port; `answer` decides each request's status
 * (or leaves it hanging). It keeps every request for the test to verify.
 */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly received: Received[],
  ) {}

  static async start(
    answer: (headers: IncomingHttpHeaders, body: string) => number | 'hang' = () => 204,
  ): Promise<WebhookReceiver> {
    const received: Received[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = answer(req.headers, body);
        received.push({ headers: req.headers, body, answered: status === 'hang' ? null : status });
        if (status !== 'hang') res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    return new WebhookReceiver(server, url, received);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The Standard Webhooks headers of a request, as a verifier takes them. */
export const webhookHeaders = (r: Received): Record<string, string> => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

export const webhookPayload = (r: Received): WebhookPayload => JSON.parse(r.body) as WebhookPayload;
