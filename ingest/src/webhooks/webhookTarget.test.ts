import { describe, expect, it } from 'vitest';
import { refusedWebhookTarget } from './webhookTarget.js';

const self = { port: () => 8080, publicUrl: 'https://live.example.com' };
const refused = (url: string) => refusedWebhookTarget(new URL(url), self);

describe('webhook targets', () => {
  it('refuses link-local and cloud metadata addresses, however the address is written', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/',
      'http://0xa9fea9fe/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fe80::1]:8000/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.google.internal./',
    ])
      expect(refused(url), url).toBe('a link-local or cloud metadata address');
  });

  it('refuses this ingest itself: its port on loopback or its own addresses, and its public URL', () => {
    for (const url of [
      'http://127.0.0.1:8080/api/rooms',
      'http://localhost:8080/',
      'http://[::1]:8080/',
      'http://0.0.0.0:8080/',
      'https://live.example.com/api/webhooks',
    ])
      expect(refused(url), url).toBe('this server itself');
  });

  it('lets ordinary receivers through, local ones on other ports included', () => {
    for (const url of [
      'http://127.0.0.1:9000/hooks',
      'http://localhost:3000/hooks',
      'https://hooks.example.com/stagecast',
      'http://203.0.113.5:8080/hooks',
      'https://live.example.com:8443/hooks',
      'http://169.255.0.1/',
    ])
      expect(refused(url), url).toBeNull();
  });
});
