/**
 * A small network lab in namespaces this process creates (the kernel tests and bench/published-port share it):
 * a "node" netns with Shoal-like bridges (gateway, LB address, VIP /32s; ip_forward and route_localnet set inside
 * it only), "task" netns attached to a bridge by a veth, and an "external" client netns joined to the node by a
 * veth on 10.77.9.0/24. Servers are busybox httpd (serving the task's name) and the python helpers of netlab.py.
 * Every netns is named `<prefix>-<short>` with a random prefix; `cleanup()` kills the processes it started (by
 * PID, then whatever is left inside its namespaces) and deletes the namespaces, which takes their links and nft
 * tables with them. It never throws.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NETLAB_PY = join(dirname(fileURLToPath(import.meta.url)), 'netlab.py');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (own process group, killed at the deadline). */
export function run(file: string, args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
    const timer = setTimeout(() => killGroup(child.pid), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Like run, but a non-zero exit throws with the command and its stderr. */
export async function must(file: string, args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${String(r.code)}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface HttpCounts {
  counts: Record<string, number>;
  errors: Record<string, number>;
}
export interface UdpCounts extends HttpCounts {
  sources: string[];
}

/** A long-running process of the lab, with its stdout lines. */
export interface LabProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the next stdout line (rejects at the deadline or when the process exits). */
  nextLine(timeoutMs?: number): Promise<string>;
  write(line: string): void;
}

/** The client netns reaches the node on this link. */
export const CLIENT_NODE_ADDR = '10.77.9.1';
export const CLIENT_ADDR = '10.77.9.2';

export interface BridgeSpec {
  name: string;
  /** Third octet: the bridge gets 10.77.<n>.0/24, gateway .1, LB address .2. */
  n: number;
  vips?: string[];
}

export class NetLab {
  readonly prefix: string;
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcessWithoutNullStreams[] = [];
  private vethCount = 0;

  constructor(area: string) {
    this.prefix = `shltest-${area}-${randomBytes(3).toString('hex')}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
  }

  ns(short: string): string {
    return `${this.prefix}-${short}`;
  }

  async addNetns(short: string): Promise<string> {
    const name = this.ns(short);
    await must('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** `ip netns exec <ns> <file> <args>`. */
  exec(ns: string, file: string, args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return run('ip', ['netns', 'exec', ns, file, ...args], opts);
  }

  async sysctl(ns: string, settings: Record<string, string | number>): Promise<void> {
    await must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
  }

  /** The node netns: forwarding on, and the external client netns on a veth (node 10.77.9.1, client 10.77.9.2). */
  async node(): Promise<{ node: string; client: string }> {
    const node = await this.addNetns('node');
    const client = await this.addNetns('cli');
    await must('ip', ['-n', node, '-batch', '-'], {
      stdin: [`link add vcli type veth peer name eth0 netns ${client}`, `addr add ${CLIENT_NODE_ADDR}/24 dev vcli`, 'link set vcli up', ''].join('\n'),
    });
    await must('ip', ['-n', client, '-batch', '-'], { stdin: [`addr add ${CLIENT_ADDR}/24 dev eth0`, 'link set eth0 up', ''].join('\n') });
    await this.sysctl(node, { 'net.ipv4.ip_forward': 1 });
    return { node, client };
  }

  /** A bridge on the node with its gateway, LB address and VIPs, route_localnet on (the mesh from 127.0.0.1). */
  async bridge(node: string, b: BridgeSpec): Promise<void> {
    const lines = [`link add ${b.name} type bridge`, `addr add 10.77.${b.n}.1/24 dev ${b.name}`, `addr add 10.77.${b.n}.2/24 dev ${b.name}`];
    for (const vip of b.vips ?? []) lines.push(`addr add ${vip}/32 dev ${b.name}`);
    lines.push(`link set ${b.name} up`, '');
    await must('ip', ['-n', node, '-batch', '-'], { stdin: lines.join('\n') });
    await this.sysctl(node, { [`net.ipv4.conf.${b.name}.route_localnet`]: 1 });
  }

  /**
   * A task netns on a bridge: eth0 with `addr`/24, default route via the bridge gateway. The bridge port is in
   * hairpin mode: without it a task's own connection to a VIP (or the ingress port) that is balanced back to itself
   * is dropped by the bridge (the routed frame would leave through the port it came in on).
   */
  async task(node: string, bridge: BridgeSpec, short: string, addr: string): Promise<string> {
    const ns = await this.addNetns(short);
    const veth = `vt${++this.vethCount}`;
    await must('ip', ['-n', node, '-batch', '-'], { stdin: [`link add ${veth} type veth peer name eth0 netns ${ns}`, `link set ${veth} master ${bridge.name} up`, `link set ${veth} type bridge_slave hairpin on`, ''].join('\n') });
    await must('ip', ['-n', ns, '-batch', '-'], {
      stdin: [`addr add ${addr}/24 dev eth0`, 'link set eth0 up', `route add default via 10.77.${bridge.n}.1`, ''].join('\n'),
    });
    return ns;
  }

  /** A process inside a netns that lives until cleanup. */
  start(ns: string, file: string, args: readonly string[]): LabProcess {
    const child = spawn('ip', ['netns', 'exec', ns, file, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.children.push(child);
    child.stdin.on('error', () => undefined);
    let buf = '';
    const lines: string[] = [];
    const waiters: (() => void)[] = [];
    let stderr = '';
    let exited = false;
    const wake = (): void => {
      for (const w of waiters.splice(0)) w();
    };
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      wake();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', () => {
      exited = true;
      wake();
    });
    const nextLine = async (timeoutMs = 10_000): Promise<string> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.shift();
        if (line !== undefined) return line;
        if (exited) throw new Error(`${file} ${args.join(' ')} in ${ns} exited: ${stderr.trim()}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${file} ${args.join(' ')} in ${ns}: no output within ${timeoutMs} ms: ${stderr.trim()}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    };
    return { child, nextLine, write: (line) => child.stdin.write(`${line}\n`) };
  }

  /** busybox httpd in `ns` on :port serving `name` at / (not awaited: see waitHttp). */
  httpd(ns: string, name: string, port = 80): void {
    const root = join(this.dir, `www-${name}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'index.html'), `${name}\n`);
    this.start(ns, 'busybox', ['httpd', '-f', '-p', `0.0.0.0:${port}`, '-h', root]);
  }

  /** A netlab.py server (udp-echo / tcp-echo) in `ns`, resolved once it is bound. */
  async pyServer(ns: string, kind: 'udp-echo' | 'tcp-echo', addr: string, port: number, name: string): Promise<LabProcess> {
    const p = this.start(ns, 'python3', ['-u', NETLAB_PY, kind, addr, String(port), name]);
    const line = await p.nextLine();
    if (line !== 'ready') throw new Error(`${kind} in ${ns}: unexpected ${line}`);
    return p;
  }

  /** One TCP connection kept open (netlab.py hold): each `write` sends a line, `nextLine` reads the reply. */
  hold(ns: string, host: string, port: number): LabProcess {
    return this.start(ns, 'python3', ['-u', NETLAB_PY, 'hold', host, String(port)]);
  }

  async py(ns: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
    return must('ip', ['netns', 'exec', ns, 'python3', NETLAB_PY, ...args], { timeoutMs });
  }

  async waitHttp(ns: string, urls: readonly string[], deadlineS = 10): Promise<void> {
    await this.py(ns, ['wait-http', String(deadlineS), ...urls], (deadlineS + 5) * 1000);
  }

  async httpCount(ns: string, url: string, n: number, timeoutS = 1): Promise<HttpCounts> {
    return JSON.parse(await this.py(ns, ['http-count', url, String(n), String(timeoutS)])) as HttpCounts;
  }

  async udpCount(ns: string, host: string, port: number, n: number, timeoutS = 1): Promise<UdpCounts> {
    return JSON.parse(await this.py(ns, ['udp-count', host, String(port), String(n), String(timeoutS)])) as UdpCounts;
  }

  async tcpSend(ns: string, host: string, port: number, timeoutS = 1): Promise<{ reply?: string; error?: string }> {
    return JSON.parse(await this.py(ns, ['tcp-send', host, String(port), String(timeoutS)])) as { reply?: string; error?: string };
  }

  /** Kills what it started and whatever else runs in its namespaces, deletes them and its directory. */
  async cleanup(): Promise<void> {
    for (const c of this.children.splice(0)) killGroup(c.pid);
    for (const ns of [...this.namespaces].reverse()) {
      const pids = await run('ip', ['netns', 'pids', ns]).catch(() => undefined);
      for (const pid of (pids?.stdout ?? '').split(/\s+/).filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The namespaces of this lab still present (for the cleanup check). */
  async leftovers(): Promise<string[]> {
    const r = await run('ip', ['netns', 'list']);
    return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(this.prefix));
  }
}
