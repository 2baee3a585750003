import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Addresses a webhook must never be sent to: link-local networks, where clouds answer their
 * instance metadata (credentials included) to any local process, and AWS's IPv6 metadata.
 * BlockList also matches IPv4-mapped IPv6 forms (`::ffff:169.254.169.254`) against IPv4 rules.
 */
const METADATA_NETWORKS = new BlockList();
METADATA_NETWORKS.addSubnet('169.254.0.0', 16, 'ipv4');
METADATA_NETWORKS.addSubnet('fe80::', 10, 'ipv6');
METADATA_NETWORKS.addAddress('fd00:ec2::254', 'ipv6');

/** Names the clouds give their metadata services. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Addresses a connection reaches this machine by (0.0.0.0 and :: included: Linux loops them back). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

const METADATA = 'a link-local or cloud metadata address';
const SELF = 'this server itself';

/** How long registration waits for a name to resolve before leaving the check to delivery. */
const REGISTRATION_LOOKUP_MS = 3000;

/** Where this ingest answers: its port on this machine, and its public URL. */
export interface IngestSelf {
  port: () => number;
  publicUrl?: string | undefined;
}

/**
 * A delivery not sent because its URL, or an address its name resolved to, is one a webhook
 * must not reach. `code` is what the delivery log shows.
 */
export class WebhookTargetRefusedError extends Error {
  override readonly name = 'WebhookTargetRefusedError';
  readonly code = 'WEBHOOK_URL_INVALID';
}

/**
 * Why a webhook URL (already checked to be absolute http(s)) points somewhere it must not, as
 * written, or null. A name is judged by what it resolves to in {@link resolvedWebhookTarget}
 * (registration) and {@link checkedLookup} (every connection).
 */
export function refusedWebhookTarget(url: URL, self: IngestSelf): string | null {
  const host = hostOf(url);
  if (METADATA_HOSTS.has(host)) return METADATA;
  if (self.publicUrl && url.origin === new URL(self.publicUrl).origin) return SELF;
  const port = portOf(url);
  if (isIP(host) !== 0) return refusedAddress(host, port, self);
  // Names under `.localhost` are this machine (RFC 6761) even where the resolver does not know them.
  const local = host === 'localhost' || host.endsWith('.localhost');
  return local && port === self.port() ? SELF : null;
}

/**
 * At registration, the URL as written and then what its name resolves to now. A name that
 * does not resolve (or not within 3 s) is accepted: it may be temporarily unresolvable, and
 * every delivery checks the address it connects to anyway.
 */
export async function resolvedWebhookTarget(url: URL, self: IngestSelf): Promise<string | null> {
  const written = refusedWebhookTarget(url, self);
  const host = hostOf(url);
  if (written !== null || isIP(host) !== 0) return written;
  const addresses = await new Promise<LookupAddress[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), REGISTRATION_LOOKUP_MS);
    lookup(host, { all: true }, (error, found) => {
      clearTimeout(timer);
      resolve(error ? [] : found);
    });
  });
  return refusedResolution(host, addresses, portOf(url), self);
}

/**
 * A `lookup` for the connection of one delivery to `url`: resolves every address of the name,
 * refuses (with {@link WebhookTargetRefusedError}) if any of them is forbidden, and hands the
 * checked addresses to the socket, so that no second resolution can answer differently.
 * Sockets skip `lookup` for IP literals: those are checked as written.
 */
export function checkedLookup(url: URL, self: IngestSelf): LookupFunction {
  const port = portOf(url);
  return (hostname: string, options: LookupOptions, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const refused = refusedResolution(hostname, addresses, port, self);
      if (refused !== null)
        return callback(new WebhookTargetRefusedError(`must not point at ${refused}`), '');
      const [first] = addresses;
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
    });
  };
}

/** Why one of a name's addresses is forbidden, naming it, or null. */
function refusedResolution(
  host: string,
  addresses: readonly LookupAddress[],
  port: number,
  self: IngestSelf,
): string | null {
  for (const { address } of addresses) {
    const refused = refusedAddress(address, port, self);
    if (refused !== null) return `${refused} (${host} resolves to ${address})`;
  }
  return null;
}

/**
 * The rule for one IP address a webhook would connect to on `port`: never a metadata address;
 * not this ingest, that is its port on loopback or on one of this machine's addresses (other
 * local ports are ordinary receivers).
 */
export function refusedAddress(raw: string, port: number, self: IngestSelf): string | null {
  // A scope (`fe80::1%eth0`) is not part of the address the rules compare.
  const address = raw.replace(/%.*$/, '');
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (METADATA_NETWORKS.check(address, type)) return METADATA;
  if (port !== self.port()) return null;
  return LOOPBACK.check(address, type) || ownAddresses().check(address, type) ? SELF : null;
}

/** This machine's own interface addresses (read each time: interfaces come and go). */
function ownAddresses(): BlockList {
  const own = new BlockList();
  for (const info of Object.values(networkInterfaces()).flat())
    if (info) own.addAddress(info.address.replace(/%.*$/, ''), info.family === 'IPv6' ? 'ipv6' : 'ipv4');
  return own;
}

/** The URL's host without IPv6 brackets or a trailing root dot, lower case. */
function hostOf(url: URL): string {
  return url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
