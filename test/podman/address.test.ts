/**
 * @module Address choice from inspect-shaped fixtures, including Podman's
 * differences from Docker (Networks null on the host network, Ports shape).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseAddress, type AddressResult, type ContainerInspectLike } from '../../src/podman/address.ts';
import type { ContainerLabels } from '../../src/podman/labels.ts';

const base: ContainerLabels = { domains: ['a.test'], port: 8080, address: 'container' };

function inspect(over: Partial<ContainerInspectLike>): ContainerInspectLike {
  return { Id: 'abc', Name: 'web-1', HostConfig: { NetworkMode: 'bridge' }, NetworkSettings: { Networks: null, Ports: {} }, ...over };
}

const cases: Array<{ desc: string; inspect: ContainerInspectLike; labels?: Partial<ContainerLabels>; want: AddressResult }> = [
  {
    desc: 'host network: loopback and the container port (Networks null)',
    inspect: inspect({ HostConfig: { NetworkMode: 'host' }, NetworkSettings: { Networks: null, Ports: {} } }),
    want: { ok: true, value: { address: '127.0.0.1', port: 8080, mode: 'host' } },
  },
  {
    desc: 'host network with haproxy.network set is an error',
    inspect: inspect({ HostConfig: { NetworkMode: 'host' }, NetworkSettings: null }),
    labels: { network: 'podman' },
    want: { ok: false, problem: { field: 'haproxy.network', value: 'podman', message: 'the container uses the host network; remove this label' } },
  },
  {
    desc: 'one network: its IP',
    inspect: inspect({ NetworkSettings: { Networks: { podman: { IPAddress: '10.88.0.5' } } } }),
    want: { ok: true, value: { address: '10.88.0.5', port: 8080, mode: 'network', network: 'podman' } },
  },
  {
    desc: 'one network, IPv6 only',
    inspect: inspect({ NetworkSettings: { Networks: { v6: { IPAddress: '', GlobalIPv6Address: 'fd00::5' } } } }),
    want: { ok: true, value: { address: 'fd00::5', port: 8080, mode: 'network', network: 'v6' } },
  },
  {
    desc: 'several networks without haproxy.network: error listing them',
    inspect: inspect({ NetworkSettings: { Networks: { front: { IPAddress: '10.89.0.2' }, back: { IPAddress: '10.90.0.2' } } } }),
    want: {
      ok: false,
      problem: { field: 'haproxy.network', value: undefined, message: 'required: the container is on several networks (back, front); set haproxy.network to one of them' },
    },
  },
  {
    desc: 'several networks, haproxy.network picks one',
    inspect: inspect({ NetworkSettings: { Networks: { front: { IPAddress: '10.89.0.2' }, back: { IPAddress: '10.90.0.2' } } } }),
    labels: { network: 'front' },
    want: { ok: true, value: { address: '10.89.0.2', port: 8080, mode: 'network', network: 'front' } },
  },
  {
    desc: 'haproxy.network names a network the container is not on',
    inspect: inspect({ NetworkSettings: { Networks: { front: { IPAddress: '10.89.0.2' } } } }),
    labels: { network: 'back' },
    want: { ok: false, problem: { field: 'haproxy.network', value: 'back', message: 'the container has no address on this network (its networks: front)' } },
  },
  {
    desc: 'no address at all (rootless slirp4netns)',
    inspect: inspect({ HostConfig: { NetworkMode: 'slirp4netns' }, NetworkSettings: { Networks: {} } }),
    want: {
      ok: false,
      problem: {
        field: 'haproxy.address',
        value: 'container',
        message: 'the container has no network address (network mode "slirp4netns"); use the host network or haproxy.address=published',
      },
    },
  },
  {
    desc: 'published on 127.0.0.1 (HostConfig null as in the list)',
    inspect: inspect({ HostConfig: null, NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18081' }] } } }),
    labels: { address: 'published' },
    want: { ok: true, value: { address: '127.0.0.1', port: 18081, mode: 'published' } },
  },
  {
    desc: 'published on all addresses: loopback',
    inspect: inspect({ NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '', HostPort: '18082' }] } } }),
    labels: { address: 'published' },
    want: { ok: true, value: { address: '127.0.0.1', port: 18082, mode: 'published' } },
  },
  {
    desc: 'published on a host IP: that IP',
    inspect: inspect({ NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '192.0.2.7', HostPort: '18083' }] } } }),
    labels: { address: 'published' },
    want: { ok: true, value: { address: '192.0.2.7', port: 18083, mode: 'published' } },
  },
  {
    desc: 'published: loopback binding preferred over others',
    inspect: inspect({ NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '192.0.2.7', HostPort: '1' }, { HostIp: '127.0.0.1', HostPort: '2' }] } } }),
    labels: { address: 'published' },
    want: { ok: true, value: { address: '127.0.0.1', port: 2, mode: 'published' } },
  },
  {
    desc: 'published but that port is not published',
    inspect: inspect({ NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18081' }], '8080/tcp': null } } }),
    labels: { address: 'published' },
    want: {
      ok: false,
      problem: {
        field: 'haproxy.address',
        value: 'published',
        message: 'container port 8080/tcp is not published (haproxy.port=8080); publish it with -p 127.0.0.1:HOSTPORT:8080',
      },
    },
  },
];

for (const c of cases) {
  test(`chooseAddress: ${c.desc}`, () => {
    assert.deepEqual(chooseAddress(c.inspect, { ...base, ...c.labels }), c.want);
  });
}

test('chooseAddress is deterministic whatever the order of networks', () => {
  const a = inspect({ NetworkSettings: { Networks: { b: { IPAddress: '10.0.0.2' }, a: { IPAddress: '10.0.0.1' } } } });
  const b = inspect({ NetworkSettings: { Networks: { a: { IPAddress: '10.0.0.1' }, b: { IPAddress: '10.0.0.2' } } } });
  assert.deepEqual(chooseAddress(a, base), chooseAddress(b, base));
});
