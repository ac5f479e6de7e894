import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cidrContains, parseCidr, parseIpAddress } from '../src/rules/sigma/cidr';

const inside = (network: string, value: string) => cidrContains(parseCidr(network)!, value);

describe('cidr: IPv4 and IPv6 networks', () => {
  test('IPv4 membership, prefix lengths 0 to 32, host bits ignored', () => {
    assert.equal(inside('10.0.0.0/8', '10.248.16.43'), true);
    assert.equal(inside('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(inside('192.168.10.0/23', '192.168.11.255'), true);
    assert.equal(inside('192.168.10.0/23', '192.168.12.0'), false);
    assert.equal(inside('0.0.0.0/0', '203.0.113.9'), true);
    assert.equal(inside('203.0.113.9', '203.0.113.9'), true);
    assert.equal(inside('203.0.113.9/32', '203.0.113.10'), false);
    assert.equal(inside('10.1.2.3/8', '10.200.0.1'), true);
  });

  test('IPv6 membership, with :: compression and an embedded dotted quad', () => {
    assert.equal(inside('2001:db8::/32', '2001:db8:1234::1'), true);
    assert.equal(inside('2001:db8::/32', '2001:db9::1'), false);
    assert.equal(inside('::/0', '::1'), true);
    assert.equal(inside('fe80::/10', 'FE80:0:0:0:1:2:3:4'), true);
    assert.equal(inside('fe80::/10', 'fec0::1'), false);
    assert.equal(inside('64:ff9b::/96', '64:ff9b::192.0.2.33'), true);
    assert.equal(inside('2001:db8::1/128', '2001:0db8:0000:0000:0000:0000:0000:0001'), true);
  });

  test('IPv4-mapped IPv6 addresses meet IPv4 networks, and the other way round', () => {
    assert.equal(inside('192.0.2.0/24', '::ffff:192.0.2.7'), true);
    assert.equal(inside('::ffff:0:0/96', '198.51.100.1'), true);
    assert.equal(inside('192.0.2.0/24', '2001:db8::c000:207'), false);
  });

  test("CloudTrail's non-address sourceIPAddress values and malformed text are in no network", () => {
    for (const value of ['AWS Internal', 'ec2.amazonaws.com', '', '10.0.0', '10.0.0.256', '010.0.0.1', '1.2.3.4.5',
      '2001:db8::1::2', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '1.2.3.4::', ':1:2:3:4:5:6:7', 'x'.repeat(200_000)]) {
      assert.equal(inside('0.0.0.0/0', value), false, value.slice(0, 40));
      assert.equal(inside('::/0', value), false, value.slice(0, 40));
    }
  });

  test('networks that are not networks are rejected', () => {
    for (const text of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '2001:db8::/129', 'example.com/8', '10.0.0.0/08']) {
      assert.equal(parseCidr(text), undefined, text);
    }
    assert.deepEqual([...parseIpAddress('::')!], new Array(16).fill(0));
  });
});
