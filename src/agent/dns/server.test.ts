/**
 * DnsServer on loopback (127.0.0.2–127.0.0.4, a free non-53 port): UDP and TCP, forwarding to a fake upstream on
 * 127.0.0.1, SERVFAIL with a dead or silent upstream, per-listen-address zones, swaps, bind failures, malformed
 * input, truncation, and the real busybox resolver reading our answers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, RecordType } from 'dns-packet';
import { captureLogger } from '../../lib/logger.js';
import { seededRandom } from '../../lib/random.js';
import { DnsServer } from './server.js';
import { buildTable } from './zone.js';
import type { ZoneEntry } from './zone.js';

const DEADLINE_MS = 3000;

/** dns-packet decodes `rcode` too; its types leave it out. */
type Reply = DecodedPacket & { rcode: string };

function withDeadline<T>(p: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))),
  ]);
}

/** A port free for UDP and TCP on every test address. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const srv = createServer();
    const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.2', () => resolve((srv.address() as { port: number }).port)));
    await new Promise((r) => srv.close(r));
    if (await udpFree(port)) return port;
  }
  throw new Error('no free port');
}

async function udpFree(port: number): Promise<boolean> {
  for (const host of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
    const s = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, host, () => resolve(true));
    });
    await new Promise<void>((r) => (ok ? s.close(() => r()) : r()));
    if (!ok) return false;
  }
  return true;
}

let nextId = 1;
const q = (name: string, type: RecordType = 'A', extra: Partial<Packet> = {}): Packet => ({
  type: 'query',
  id: nextId++ & 0xffff,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ name, type, class: 'IN' }],
  ...extra,
});

/** Sends raw buffers from one UDP socket, resolves with the first `count` messages that come back. */
async function udpExchange(host: string, port: number, sends: Buffer[], count = 1): Promise<Buffer[]> {
  const s = createSocket('udp4');
  try {
    const got: Buffer[] = [];
    const done = new Promise<Buffer[]>((resolve) => {
      s.on('message', (m) => {
        got.push(m);
        if (got.length === count) resolve(got);
      });
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    for (const b of sends) s.send(b, port, host);
    return await withDeadline(done, `udp reply from ${host}:${port}`);
  } finally {
    s.close();
  }
}

async function udpAsk(host: string, port: number, packet: Packet): Promise<Reply> {
  const [reply] = await udpExchange(host, port, [dnsPacket.encode(packet)]);
  const decoded = dnsPacket.decode(reply!) as Reply;
  assert.equal(decoded.id, packet.id, 'reply id echoes the query');
  return decoded;
}

/** One TCP connection; every query written in one chunk; resolves with the replies in order of arrival. */
async function tcpAsk(host: string, port: number, packets: Packet[], prefix: Buffer = Buffer.alloc(0)): Promise<Reply[]> {
  const sock = connect({ host, port });
  try {
    const out: Reply[] = [];
    let buf = Buffer.alloc(0);
    const done = new Promise<Reply[]>((resolve, reject) => {
      sock.on('error', reject);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          out.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as Reply);
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (out.length === packets.length) resolve(out);
      });
    });
    sock.write(Buffer.concat([prefix, ...packets.map((p) => dnsPacket.streamEncode(p))]));
    return await withDeadline(done, `tcp replies from ${host}:${port}`);
  } finally {
    sock.destroy();
  }
}

const aData = (p: DecodedPacket): string[] => (p.answers ?? []).map((a) => (a as { data: string }).data);

/**
 * The fake upstream: example.com → 192.0.2.1; tc.example → over UDP an empty answer with TC set, over TCP
 * 192.0.2.9; every other name NXDOMAIN. Counts what it got.
 */
class FakeUpstream {
  udp: UdpSocket = createSocket('udp4');
  tcp: Server = createServer();
  port = 0;
  seen: string[] = [];
  private reply(msg: Buffer, tcp: boolean): Buffer {
    const query = dnsPacket.decode(msg);
    const question = query.questions![0]!;
    this.seen.push(`${tcp ? 'tcp' : 'udp'}:${question.name}`);
    const data = question.name === 'example.com' ? '192.0.2.1' : question.name === 'tc.example' && tcp ? '192.0.2.9' : undefined;
    const tc = question.name === 'tc.example' && !tcp;
    const answers: Answer[] = data !== undefined ? [{ name: question.name, type: 'A', ttl: 30, data }] : [];
    const flags = tc ? dnsPacket.TRUNCATED_RESPONSE : data !== undefined ? 0 : 3;
    return dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags, questions: query.questions ?? [], answers });
  }
  async start(): Promise<void> {
    this.udp.on('message', (m, r) => this.udp.send(this.reply(m, false), r.port, r.address));
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    this.port = this.udp.address().port;
    this.tcp.on('connection', (c) =>
      c.on('data', (d: Buffer) => {
        const out = this.reply(d.subarray(2), true);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        c.write(Buffer.concat([len, out]));
      }),
    );
    await new Promise<void>((r) => this.tcp.listen(this.port, '127.0.0.1', () => r()));
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => this.udp.close(() => r()));
    await new Promise((r) => this.tcp.close(r));
  }
}

const netA: ZoneEntry = {
  network: { Name: 'net_a' },
  services: [
    {
      id: 's1',
      name: 'web',
      aliases: ['www'],
      mode: 'vip',
      vip: '10.0.1.2',
      tasks: [
        { id: 't1', name: 'web.1.t1', addr: '10.0.1.5', nodeId: 'n1' },
        { id: 't2', name: 'web.2.t2', addr: '10.0.1.6', nodeId: 'n1' },
      ],
    },
    {
      id: 's2',
      name: 'big',
      aliases: [],
      mode: 'dnsrr',
      tasks: Array.from({ length: 60 }, (_, i) => ({ id: `b${i}`, name: `big.${i + 1}.b${i}`, addr: `10.0.2.${i + 10}`, nodeId: 'n1' })),
    },
  ],
};
const netB: ZoneEntry = {
  network: { Name: 'net_b' },
  services: [{ id: 's3', name: 'api', aliases: [], mode: 'vip', vip: '10.0.9.2', tasks: [{ id: 't3', name: 'api.1.t3', addr: '10.0.9.5', nodeId: 'n1' }] }],
};

describe('DnsServer', () => {
  const logger = captureLogger();
  const upstream = new FakeUpstream();
  let port = 0;
  let server: DnsServer;

  before(async () => {
    await upstream.start();
    port = await freePort();
    server = new DnsServer({ logger, random: seededRandom(3), port, upstreams: [`127.0.0.1:${upstream.port}`], forwardTimeoutMs: 1500 });
    await server.setZones([
      { listen: '127.0.0.2', table: buildTable(netA) },
      { listen: '127.0.0.3', table: buildTable(netB) },
    ]);
    assert.deepEqual(server.status(), [
      { listen: '127.0.0.2', bound: true },
      { listen: '127.0.0.3', bound: true },
    ]);
  });

  after(async () => {
    await server.close();
    await upstream.stop();
  });

  it('answers a service name over UDP with the VIP, authoritative, TTL 600; AAAA gets NOERROR with no answers', async () => {
    const r = await udpAsk('127.0.0.2', port, q('WWW'));
    assert.equal(r.rcode, 'NOERROR');
    assert.ok(r.flag_aa && r.flag_ra && r.flag_rd);
    assert.deepEqual(r.questions, [{ name: 'WWW', type: 'A', class: 'IN' }]);
    assert.deepEqual(r.answers, [{ name: 'WWW', type: 'A', class: 'IN', ttl: 600, flush: false, data: '10.0.1.2' }]);
    const six = await udpAsk('127.0.0.2', port, q('web', 'AAAA'));
    assert.equal(six.rcode, 'NOERROR');
    assert.deepEqual(six.answers, []);
  });

  it('answers several queries sent in one chunk on one TCP connection, with length framing', async () => {
    const packets = [q('tasks.web'), q('web.2.t2'), q('6.1.0.10.in-addr.arpa', 'PTR')];
    const [tasks, one, ptr] = await tcpAsk('127.0.0.2', port, packets);
    assert.deepEqual(aData(tasks!).sort(), ['10.0.1.5', '10.0.1.6']);
    assert.deepEqual(aData(one!), ['10.0.1.6']);
    assert.deepEqual(aData(ptr!), ['web.2.t2.net_a']);
    assert.deepEqual([tasks!.id, one!.id, ptr!.id], packets.map((p) => p.id));
  });

  it('shows each network its own names only, by the address the query arrived on', async () => {
    assert.deepEqual(aData(await udpAsk('127.0.0.3', port, q('api'))), ['10.0.9.2']);
    const seen = upstream.seen.length;
    const webOnB = await udpAsk('127.0.0.3', port, q('web'));
    assert.equal(webOnB.rcode, 'NXDOMAIN', 'web is not on net_b: forwarded, and the upstream does not know it');
    assert.deepEqual(upstream.seen.slice(seen), ['udp:web']);
    assert.equal((await udpAsk('127.0.0.2', port, q('api'))).rcode, 'NXDOMAIN');
  });

  it('forwards unknown names to the upstream over UDP and TCP and relays the answer', async () => {
    const viaUdp = await udpAsk('127.0.0.2', port, q('example.com'));
    assert.equal(viaUdp.rcode, 'NOERROR');
    assert.deepEqual(aData(viaUdp), ['192.0.2.1']);
    assert.ok(!viaUdp.flag_aa, 'the upstream answer is relayed as it is');
    const [viaTcp] = await tcpAsk('127.0.0.3', port, [q('example.com')]);
    assert.deepEqual(aData(viaTcp!), ['192.0.2.1']);
  });

  it('relays a truncated upstream answer to a UDP client, and retries it over TCP for a TCP client', async () => {
    const viaUdp = await udpAsk('127.0.0.2', port, q('tc.example'));
    assert.ok(viaUdp.flag_tc);
    assert.deepEqual(aData(viaUdp), []);
    const seen = upstream.seen.length;
    const [viaTcp] = await tcpAsk('127.0.0.2', port, [q('tc.example')]);
    assert.ok(!viaTcp!.flag_tc);
    assert.deepEqual(aData(viaTcp!), ['192.0.2.9']);
    assert.deepEqual(upstream.seen.slice(seen), ['udp:tc.example', 'tcp:tc.example']);
  });

  it('truncates a big UDP answer to 512 bytes with TC set; TCP and EDNS clients get more', async () => {
    const packet = q('tasks.big');
    const [raw] = await udpExchange('127.0.0.2', port, [dnsPacket.encode(packet)]);
    assert.ok(raw!.length <= 512, `udp reply is ${raw!.length} bytes`);
    const udp = dnsPacket.decode(raw!);
    assert.ok(udp.flag_tc);
    assert.ok(aData(udp).length > 0 && aData(udp).length < 60);
    const [tcp] = await tcpAsk('127.0.0.2', port, [q('tasks.big')]);
    assert.ok(!tcp!.flag_tc);
    assert.equal(new Set(aData(tcp!)).size, 60);
    const edns = await udpAsk('127.0.0.2', port, q('big', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }));
    assert.ok(!edns.flag_tc);
    assert.equal(aData(edns).length, 60);
  });

  it('drops malformed packets and responses, and keeps serving on the same sockets', async () => {
    const good = q('web');
    const notAQuery = dnsPacket.encode({ ...q('web'), type: 'response' });
    const [first] = await udpExchange('127.0.0.2', port, [Buffer.from('garbage'), Buffer.alloc(0), Buffer.alloc(40, 0xff), notAQuery, dnsPacket.encode(good)]);
    assert.equal(dnsPacket.decode(first!).id, good.id, 'the first reply is the one to the good query');
    const junkFrame = Buffer.from([0, 5, 1, 2, 3, 4, 5]);
    const [viaTcp] = await tcpAsk('127.0.0.2', port, [q('web')], junkFrame);
    assert.deepEqual(aData(viaTcp!), ['10.0.1.2']);
  });

  it('swaps tables atomically, unbinds removed addresses, and reports a bind failure without failing', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(port, '127.0.0.4', () => r()));
    try {
      const renamed: ZoneEntry = { ...netB, services: [{ ...netB.services[0]!, name: 'api2' }] };
      await server.setZones([
        { listen: '127.0.0.2', table: buildTable(netA) },
        { listen: '127.0.0.3', table: buildTable(renamed) },
        { listen: '127.0.0.4', table: buildTable(netB) },
      ]);
      const status = server.status();
      assert.deepEqual(status.slice(0, 2), [
        { listen: '127.0.0.2', bound: true },
        { listen: '127.0.0.3', bound: true },
      ]);
      assert.equal(status[2]?.listen, '127.0.0.4');
      assert.equal(status[2]?.bound, false);
      assert.match(status[2]?.error ?? '', /EADDRINUSE/);
      assert.ok(logger.records.some((r) => r.level === 'error' && r.msg === 'dns bind failed'));
      assert.deepEqual(aData(await udpAsk('127.0.0.3', port, q('api2'))), ['10.0.9.2']);
      assert.equal((await udpAsk('127.0.0.3', port, q('api'))).rcode, 'NXDOMAIN');
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
    await server.setZones([
      { listen: '127.0.0.2', table: buildTable(netA) },
      { listen: '127.0.0.4', table: buildTable(netB) },
    ]);
    assert.deepEqual(server.status(), [
      { listen: '127.0.0.2', bound: true },
      { listen: '127.0.0.4', bound: true },
    ]);
    assert.deepEqual(aData(await udpAsk('127.0.0.4', port, q('api'))), ['10.0.9.2'], 'the failed address is retried');
    const probe = createSocket('udp4'); // 127.0.0.3 was unbound: its port is free again
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.3', () => resolve());
    });
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(server.setZones([{ listen: '10.0.0.256', table: buildTable(netA) }]), /zones\[0\]\.listen: invalid IPv4 address/);
    assert.equal(server.status().length, 2, 'bad input changes nothing');
    await server.setZones([
      { listen: '127.0.0.2', table: buildTable(netA) },
      { listen: '127.0.0.3', table: buildTable(netB) },
    ]);
  });

  it('is read by a real resolver (busybox nslookup): A, AAAA NODATA and PTR', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile('busybox', ['nslookup', 'www', `127.0.0.2:${port}`], { timeout: DEADLINE_MS }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stdout}${stderr}`)) : resolve(stdout),
      ),
    );
    assert.match(out, /Name:\s+www\s+Address: 10\.0\.1\.2/);
    assert.doesNotMatch(out, /can't find|SERVFAIL|NXDOMAIN/);
    const ptr = await new Promise<string>((resolve, reject) =>
      execFile('busybox', ['nslookup', '10.0.1.5', `127.0.0.2:${port}`], { timeout: DEADLINE_MS }, (err, stdout) => (err ? reject(new Error(err.message)) : resolve(stdout))),
    );
    assert.match(ptr, /5\.1\.0\.10\.in-addr\.arpa\s+name = web\.1\.t1\.net_a/);
  });
});

describe('DnsServer with no working upstream', () => {
  it('answers SERVFAIL when the upstream refuses (nothing listening) and when it stays silent', async () => {
    const port = await freePort();
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const deadPort = await freePort();
    const logger = captureLogger();
    const dead = new DnsServer({ logger, random: seededRandom(1), port, upstreams: [`127.0.0.1:${deadPort}`], forwardTimeoutMs: 2000 });
    const mute = new DnsServer({ logger, random: seededRandom(1), port, upstreams: [`127.0.0.1:${silent.address().port}`], forwardTimeoutMs: 300 });
    try {
      await dead.setZones([{ listen: '127.0.0.2', table: buildTable(netA) }]);
      await mute.setZones([{ listen: '127.0.0.3', table: buildTable(netA) }]);
      const started = Date.now();
      const refused = await udpAsk('127.0.0.2', port, q('example.com'));
      assert.equal(refused.rcode, 'SERVFAIL');
      assert.deepEqual(refused.questions, [{ name: 'example.com', type: 'A', class: 'IN' }]);
      assert.ok(Date.now() - started < 1500, 'a refusing upstream fails fast, not at the timeout');
      assert.equal((await udpAsk('127.0.0.3', port, q('example.com'))).rcode, 'SERVFAIL');
      const [viaTcp] = await tcpAsk('127.0.0.3', port, [q('example.org')]);
      assert.equal(viaTcp!.rcode, 'SERVFAIL');
      assert.deepEqual(aData(await udpAsk('127.0.0.2', port, q('web'))), ['10.0.1.2'], 'own names still answer');
      await dead.close();
      await dead.setZones([]); // teardown after close is a no-op
      assert.deepEqual(dead.status(), []);
    } finally {
      await dead.close();
      await mute.close();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('refuses bad options, naming them', () => {
    const logger = captureLogger();
    assert.throws(() => new DnsServer({ logger, random: seededRandom(1), upstreams: ['1.2.3'] }), /upstreams\[0\]: invalid address/);
    assert.throws(() => new DnsServer({ logger, random: seededRandom(1), upstreams: ['1.2.3.4:99999'] }), /upstreams\[0\]: invalid port/);
    assert.throws(() => new DnsServer({ logger, random: seededRandom(1), port: 0 }), /port: invalid port 0/);
  });
});
