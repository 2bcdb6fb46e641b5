/**
 * bench/published-port: what the ingress routing mesh costs. In namespaces it creates (test/kernel/netlab.ts): a
 * node netns with one bridge, N task netns running busybox httpd, and an external client netns on a veth. From the
 * client, `wrk -t2 -c32 -d10s`:
 * 1. "direct": against one task's address, routed by the node with no Shoal table loaded (the plain path);
 * 2. "mesh": against the node's address on the published ingress port, after applying the node ruleset
 *    (renderNodeRuleset → nft -f): DNAT over `numgen random mod N`, conntrack, SNAT to the LB address.
 * Prints req/s of both and the ratio mesh/direct (the mesh spreads the load over N endpoints, so on a machine with
 * few cores the ratio mostly shows the NAT overhead per request). Run as root:
 * `npm run bench:published-port -- [--endpoints 3] [--duration 10] [--connections 32] [--threads 2]`.
 * Everything it creates is removed in `finally`; an overall timeout aborts the run.
 */
import { parseArgs } from 'node:util';
import { applyRuleset } from '../src/agent/network/nft.js';
import { renderNodeRuleset } from '../src/agent/network/ruleset.js';
import { CLIENT_NODE_ADDR, must, NetLab } from '../test/kernel/netlab.js';
import type { BridgeSpec } from '../test/kernel/netlab.js';
import { firstLine, intOption, progress } from './lib/common.js';

const USAGE = `usage: node --import tsx bench/published-port.ts [options]   (as root)
  --endpoints N    httpd tasks behind the ingress port (default 3, 1..32)
  --duration S     seconds per wrk run (default 10, 1..120)
  --connections C  wrk connections (default 32, 1..1000)
  --threads T      wrk threads (default 2, 1..16)
  --timeout S      overall bound in seconds (default 120, 20..900)
  --help`;

interface Options {
  endpoints: number;
  duration: number;
  connections: number;
  threads: number;
  timeoutS: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      endpoints: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return {
    endpoints: intOption(values.endpoints, 'endpoints', 3, 1, 32),
    duration: intOption(values.duration, 'duration', 10, 1, 120),
    connections: intOption(values.connections, 'connections', 32, 1, 1000),
    threads: intOption(values.threads, 'threads', 2, 1, 16),
    timeoutS: intOption(values.timeout, 'timeout', 120, 20, 900),
  };
}

interface WrkResult {
  url: string;
  requestsPerSec: number;
  requests: number;
  errors: string;
}

/** `wrk` from the client netns; req/s from its summary. */
async function wrk(lab: NetLab, ns: string, url: string, o: Options): Promise<WrkResult> {
  progress(`wrk -t${o.threads} -c${o.connections} -d${o.duration}s ${url}`);
  const r = await lab.exec(ns, 'wrk', [`-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}s`, '--timeout', '2s', url], { timeoutMs: (o.duration + 20) * 1000 });
  if (r.code !== 0) throw new Error(`wrk ${url} exited ${String(r.code)}: ${r.stderr.trim()}`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const total = /(\d+) requests in/.exec(r.stdout);
  if (rps === null || total === null) throw new Error(`cannot read wrk's summary:\n${r.stdout}`);
  const errors = [/Socket errors:[^\n]*/.exec(r.stdout)?.[0], /Non-2xx or 3xx responses:[^\n]*/.exec(r.stdout)?.[0]].filter((x) => x !== undefined).join('; ');
  return { url, requestsPerSec: Number(rps[1]), requests: Number(total[1]), errors };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root: it creates network namespaces');
  const lab = new NetLab('bench');
  const deadline = setTimeout(() => {
    progress(`overall timeout (${o.timeoutS} s): cleaning up`);
    void lab.cleanup().finally(() => process.exit(2));
  }, o.timeoutS * 1000);
  const onSignal = (): void => void lab.cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress(`namespaces ${lab.prefix}-*: node, client, ${o.endpoints} task(s)`);
    const { node, client } = await lab.node();
    const bridge: BridgeSpec = { name: 'shl1', n: 1 };
    await lab.bridge(node, bridge);
    const addrs: string[] = [];
    for (let k = 0; k < o.endpoints; k++) {
      const addr = `10.77.1.${10 + k}`;
      const ns = await lab.task(node, bridge, `t${k + 1}`, addr);
      lab.httpd(ns, `t${k + 1}`);
      addrs.push(addr);
    }
    await lab.waitHttp(node, addrs.map((a) => `http://${a}/`));

    await must('ip', ['-n', client, 'route', 'add', '10.77.0.0/16', 'via', CLIENT_NODE_ADDR]);
    const direct = await wrk(lab, client, `http://${addrs[0] ?? ''}/`, o);

    await applyRuleset(
      renderNodeRuleset({
        table: 'shoal-bench',
        bridges: [{ name: 'shl1', subnet: '10.77.1.0/24', internal: false }],
        vips: [],
        ingress: [{ protocol: 'tcp', port: 8080, target: 80, bridge: 'shl1', snat: '10.77.1.2', endpoints: addrs }],
        hostPorts: [],
      }),
      { netns: node },
    );
    const meshUrl = `http://${CLIENT_NODE_ADDR}:8080/`;
    const spread = await lab.httpCount(client, meshUrl, 30);
    const mesh = await wrk(lab, client, meshUrl, o);

    const ratio = mesh.requestsPerSec / direct.requestsPerSec;
    const out = [
      `published-port bench: ${o.endpoints} busybox httpd endpoint(s), wrk -t${o.threads} -c${o.connections} -d${o.duration}s (${firstLine('wrk', ['--version'])})`,
      '',
      `  direct (one task, plain routing)        ${direct.requestsPerSec.toFixed(0).padStart(9)} req/s   ${direct.errors}`,
      `  mesh (ingress port, ${o.endpoints} endpoint(s))`.padEnd(42) + `${mesh.requestsPerSec.toFixed(0).padStart(9)} req/s   ${mesh.errors}`,
      `  ratio mesh/direct                       ${ratio.toFixed(2).padStart(9)}`,
      `  spread of 30 requests through the mesh: ${JSON.stringify(spread.counts)}${Object.keys(spread.errors).length > 0 ? ` errors ${JSON.stringify(spread.errors)}` : ''}`,
      '',
      JSON.stringify({ bench: 'published-port', options: o, direct, mesh, ratio: Number(ratio.toFixed(3)), spread }),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    clearTimeout(deadline);
    await lab.cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`published-port: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
