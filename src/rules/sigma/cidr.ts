/**
 * The `cidr` modifier (API-FACTS H.5): is a record value an IPv4 or IPv6 address inside a network?
 *
 * - Networks: `a.b.c.d/n` (n 0–32) or an IPv6 address with `/n` (n 0–128); without `/n` the network is the one
 *   address. Host bits after the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`), as Python's
 *   `ip_network(strict=False)` would.
 * - Addresses: dotted quads without leading zeros, and RFC 4291 text forms (`::`, an embedded dotted quad).
 *   Zone IDs (`%eth0`) are not addresses here. Values such as CloudTrail's `AWS Internal` or
 *   `ec2.amazonaws.com` in `sourceIPAddress` are simply not inside any network.
 * - An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address for an IPv4 network, and an IPv4
 *   address is its mapped form for an IPv6 network.
 */

export interface CidrNetwork {
  bytes: Uint8Array;
  prefix: number;
}

export function parseIpAddress(text: string): Uint8Array | undefined {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i += 1) {
    const part = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined; // the longest text form (RFC 4291 with a dotted quad)
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string, allowQuad: boolean): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i += 1) {
      const piece = pieces[i]!;
      if (allowQuad && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Parses `addr/prefix` (or a bare address); undefined when it is not a network. */
export function parseCidr(text: string): CidrNetwork | undefined {
  const slash = text.indexOf('/');
  const bytes = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (!bytes) return undefined;
  const bits = bytes.length * 8;
  if (slash === -1) return { bytes, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return { bytes, prefix: Number(prefixText) };
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function toFamily(address: Uint8Array, length: number): Uint8Array | undefined {
  if (address.length === length) return address;
  if (length === 16) return Uint8Array.from([...MAPPED_PREFIX, ...address]);
  const isMapped = MAPPED_PREFIX.every((b, i) => address[i] === b);
  return isMapped ? address.slice(12) : undefined;
}

// One-entry memo: a rule with several networks tests the same sourceIPAddress against each in turn.
let lastText: string | undefined;
let lastAddress: Uint8Array | undefined;

/** True when `value` (a record's string) is an address inside `network`. */
export function cidrContains(network: CidrNetwork, value: string): boolean {
  if (value !== lastText) {
    lastAddress = value.length <= 45 ? parseIpAddress(value) : undefined;
    lastText = value;
  }
  const parsed = lastAddress;
  const address = parsed && toFamily(parsed, network.bytes.length);
  if (!address) return false;
  let bits = network.prefix;
  for (let i = 0; bits > 0; i += 1, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((address[i]! & mask) !== (network.bytes[i]! & mask)) return false;
  }
  return true;
}
