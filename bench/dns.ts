/**
 * bench/dns: queries per second of the embedded resolver (src/agent/dns) under dnsperf, next to a minimal
 * dns-packet + dgram responder over the same names in the same process (the baseline of
 * docs/dependencies.md §5: 45–51k q/s). `npm run bench:dns -- [--seconds 8] [--clients 4] [--services 100]`.
 *
 * 1. A zone of N vip services (`svcI` → VIP, `tasks.svcI` → 3 task addresses; the query file asks every one of
 *    them plus one task name, all A), served by DnsServer on 127.0.0.2:<free port>, no upstream (nothing in the
 *    file is forwarded).
 * 2. dnsperf `-s 127.0.0.2 -p PORT -d FILE -c C -l S -q 100`, bounded by a kill timer.
 * 3. The same dnsperf run against the baseline responder on 127.0.0.3.
 * Progress goes to stderr; stdout gets the table and, last, one JSON line. Everything is closed in `finally`.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { DnsServer } from '../src/agent/dns/server.js';
import { buildTable } from '../src/agent/dns/zone.js';
import type { ZoneEntry } from '../src/agent/dns/zone.js';
import { nullLogger } from '../src/lib/logger.js';
import { seededRandom } from '../src/lib/random.js';
import { intOption, progress } from './lib/common.js';

const USAGE = `usage: node --import tsx bench/dns.ts [options]
  --seconds S    dnsperf run length per server (default 8, 1..120)
  --clients C    dnsperf clients (default 4, 1..64)
  --services N   services in the zone (default 100, 1..5000)
  --help`;

interface Run {
  qps: number;
  avgLatencyMs: number;
  lost: number;
  completed: number;
}

function zone(n: number): ZoneEntry {
  return {
    network: { Name: 'bench' },
    services: Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      name: `svc${i}`,
      aliases: [],
      mode: 'vip' as const,
      vip: `10.${100 + Math.floor(i / 250)}.${i % 250}.2`,
      tasks: [3, 4, 5].map((h) => ({ id: `t${i}x${h}`, name: `svc${i}.${h - 2}.t${i}x${h}`, addr: `10.${100 + Math.floor(i / 250)}.${i % 250}.${h}`, nodeId: 'n' })),
    })),
  };
}

/** A port free for UDP on both bench addresses. */
async function freePort(): Promise<number> {
  const srv = createServer();
  const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.2', () => resolve((srv.address() as { port: number }).port)));
  await new Promise((r) => srv.close(r));
  return port;
}

/** The baseline: decode, look up, encode; nothing else. */
async function baseline(host: string, port: number, entry: ZoneEntry): Promise<() => Promise<void>> {
  const names = new Map<string, string[]>();
  for (const s of entry.services) {
    names.set(s.name, [s.vip ?? '']);
    names.set(`tasks.${s.name}`, s.tasks.map((t) => t.addr));
    for (const t of s.tasks) names.set(t.name, [t.addr]);
  }
  const sock = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    try {
      const query = dnsPacket.decode(msg);
      const question = query.questions?.[0];
      const addrs = question === undefined ? undefined : names.get(question.name.toLowerCase());
      const answers: Answer[] = (addrs ?? []).map((data) => ({ name: question?.name ?? '', type: 'A', ttl: 600, data }));
      sock.send(dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags: addrs === undefined ? 3 : 0, questions: query.questions ?? [], answers }), rinfo.port, rinfo.address);
    } catch {
      // dropped
    }
  });
  await new Promise<void>((resolve) => sock.bind(port, host, () => resolve()));
  return () => new Promise<void>((resolve) => sock.close(() => resolve()));
}

function dnsperf(host: string, port: number, file: string, clients: number, seconds: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', ['-s', host, '-p', String(port), '-d', file, '-c', String(clients), '-l', String(seconds), '-q', '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(killer);
      const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
      const run = {
        qps: num(/Queries per second:\s+([\d.]+)/),
        avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
        lost: num(/Queries lost:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
      };
      if (code !== 0 || Number.isNaN(run.qps)) reject(new Error(`dnsperf failed (exit ${code ?? 'signal'}):\n${out}`));
      else resolve(run);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { seconds: { type: 'string' }, clients: { type: 'string' }, services: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const seconds = intOption(values.seconds, 'seconds', 8, 1, 120);
  const clients = intOption(values.clients, 'clients', 4, 1, 64);
  const services = intOption(values.services, 'services', 100, 1, 5000);

  const entry = zone(services);
  const dir = mkdtempSync(join(tmpdir(), 'shoal-bench-dns-'));
  const file = join(dir, 'queries.txt');
  const lines = entry.services.flatMap((s) => [`${s.name} A`, `tasks.${s.name} A`]);
  lines.push(`${entry.services[0]?.tasks[0]?.name ?? 'svc0'} A`);
  writeFileSync(file, `${lines.join('\n')}\n`);

  const port = await freePort();
  const server = new DnsServer({ logger: nullLogger, random: seededRandom(1), port, upstreams: [] });
  let stopBaseline: (() => Promise<void>) | undefined;
  try {
    await server.setZones([{ listen: '127.0.0.2', table: buildTable(entry) }]);
    const bound = server.status()[0];
    if (bound?.bound !== true) throw new Error(`cannot bind 127.0.0.2:${port}: ${bound?.error ?? 'unknown'}`);
    progress(`dnsperf: ${lines.length} names, ${services} services, ${clients} clients, ${seconds} s per run`);
    progress(`Shoal DnsServer on 127.0.0.2:${port}`);
    const shoal = await dnsperf('127.0.0.2', port, file, clients, seconds);
    stopBaseline = await baseline('127.0.0.3', port, entry);
    progress(`baseline dns-packet responder on 127.0.0.3:${port}`);
    const base = await dnsperf('127.0.0.3', port, file, clients, seconds);
    const ratio = shoal.qps / base.qps;
    const row = (name: string, r: Run): string =>
      `${name.padEnd(28)} ${r.qps.toFixed(0).padStart(9)} ${r.avgLatencyMs.toFixed(2).padStart(9)} ${String(r.lost).padStart(6)} ${String(r.completed).padStart(10)}`;
    process.stdout.write(
      [
        `${'server'.padEnd(28)} ${'q/s'.padStart(9)} ${'avg ms'.padStart(9)} ${'lost'.padStart(6)} ${'completed'.padStart(10)}`,
        row('shoal DnsServer', shoal),
        row('dns-packet minimal baseline', base),
        `ratio shoal/baseline: ${ratio.toFixed(2)}`,
        JSON.stringify({ bench: 'dns', services, clients, seconds, shoal, baseline: base, ratio: Number(ratio.toFixed(3)) }),
        '',
      ].join('\n'),
    );
  } finally {
    await stopBaseline?.();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dns failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
