import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signingSecrets, signWebhook, webhookSignatureHeader } from './signature.js';

describe('webhook signature', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // The example of the Standard Webhooks specification (and its libraries' tests).
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('makes secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});

describe('webhook signature during a secret rotation', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const previous = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
  const body = '{"test": 2432232314}';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';

  it('lists one v1 signature per secret, space-separated, the current secret first', () => {
    const header = webhookSignatureHeader([secret, previous], id, 1614265330, body);
    expect(header.split(' ')).toEqual([
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      signWebhook(previous, id, 1614265330, body),
    ]);
    expect(header.split(' ')[1]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // One secret: the plain single signature.
    expect(webhookSignatureHeader([secret], id, 1614265330, body)).toBe(
      signWebhook(secret, id, 1614265330, body),
    );
  });

  it('signs with the previous secret only while its grace lasts', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    const endpoint = {
      secret,
      previousSecret: previous,
      previousSecretExpiresAt: '2026-12-03T12:00:00.000Z',
    };
    expect(signingSecrets(endpoint, now)).toEqual([secret, previous]);
    expect(signingSecrets(endpoint, Date.parse('2026-12-03T12:00:00Z'))).toEqual([secret]);
    expect(signingSecrets({ secret }, now)).toEqual([secret]);
    // A stored record with a previous secret but no expiry (or a broken one) never signs with it.
    expect(signingSecrets({ secret, previousSecret: previous }, now)).toEqual([secret]);
    expect(signingSecrets({ ...endpoint, previousSecretExpiresAt: 'soon' }, now)).toEqual([secret]);
  });
});
