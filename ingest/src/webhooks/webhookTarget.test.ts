import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { refusedAddress, refusedWebhookTarget, resolvedWebhookTarget } from './webhookTarget.js';

const self = { port: () => 8080, publicUrl: 'https://live.example.com' };
const refused = (url: string) => refusedWebhookTarget(new URL(url), self);
const METADATA = 'a link-local or cloud metadata address';
const SELF = 'this server itself';

/** This machine's own addresses besides loopback (an interface's, IPv4 and IPv6). */
const own = Object.values(networkInterfaces())
  .flatMap((infos) => infos ?? [])
  .filter((info) => !info.internal && !info.address.startsWith('fe80'))
  .map((info) => info.address);

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

  // A machine with loopback only has no such address to test.
  const ipv4 = own.find((address) => !address.includes(':')) ?? '';
  it.skipIf(ipv4 === '')('refuses this ingest by its own addresses in IPv4-mapped IPv6 form too', () => {
    expect(refused(`http://[::ffff:${ipv4}]:8080/`)).toBe(SELF);
    expect(refused(`http://${ipv4}:8080/`)).toBe(SELF);
    expect(refused(`http://[::ffff:${ipv4}]:9000/`)).toBeNull();
  });
});

describe('the address rule (what a delivery connects to)', () => {
  it('never allows a metadata address, on any port, in any notation', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.0.1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      'fe80::1',
      'fe80::1%eth0',
      'febf::1',
      'fd00:ec2::254',
    ])
      for (const port of [80, 443, 8080])
        expect(refusedAddress(address, port, self), `${address}:${port}`).toBe(METADATA);
  });

  it('refuses this machine on the ingest port: loopback, unspecified and own addresses, mapped or not', () => {
    for (const address of [
      '127.0.0.1',
      '127.1.2.3',
      '0.0.0.0',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '::ffff:0.0.0.0',
      ...own,
      ...own.filter((a) => !a.includes(':')).map((a) => `::ffff:${a}`),
    ]) {
      expect(refusedAddress(address, 8080, self), address).toBe(SELF);
      expect(refusedAddress(address, 9000, self), `${address} on another port`).toBeNull();
    }
  });

  it('lets other addresses through', () => {
    for (const address of ['203.0.113.5', '169.255.0.1', '::ffff:203.0.113.5', '2001:db8::1', 'fec0::1'])
      expect(refusedAddress(address, 8080, self), address).toBeNull();
  });
});

describe('webhook targets at registration (names resolved)', () => {
  it('refuses a name that resolves to this machine on the ingest port, saying what it resolved to', async () => {
    // The machine's own name resolves to one of its addresses, without being written as one.
    const name = hostname();
    const { address } = await lookup(name);
    expect(refused(`http://${name}:8080/`)).toBeNull();
    expect(await resolvedWebhookTarget(new URL(`http://${name}:8080/hooks`), self)).toBe(
      `${SELF} (${name.toLowerCase()} resolves to ${address})`,
    );
    expect(await resolvedWebhookTarget(new URL(`http://${name}:9000/hooks`), self)).toBeNull();
    expect(await resolvedWebhookTarget(new URL('http://localhost:8080/'), self)).toBe(SELF);
    expect(await resolvedWebhookTarget(new URL('http://[fe80::1]/'), self)).toBe(METADATA);
  });

  it('accepts a name that does not resolve now (delivery checks it when connecting)', async () => {
    expect(await resolvedWebhookTarget(new URL('http://no-such-host.invalid/hooks'), self)).toBeNull();
  });
});
