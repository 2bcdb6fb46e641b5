/**
 * Hosts for multi-node end-to-end tests: N network namespaces ("nodes"), each with `eth0` = `10.<a>.<b>.<i>/24`,
 * all on one bridge that lives in a further "switch" namespace, so nothing is added to the root namespace. A daemon
 * runs in a node with `startDaemon({netns: lab.nodes[i].netns})`. `await using lab = await nodeNet(2)`;
 * disposing (or `remove()`) deletes the namespaces, which takes their links with them. Names carry a random
 * prefix (`shj<hex>`), so parallel runs do not collide.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { run } from './daemon.js';

export interface LabNode {
  /** The node's netns name (under /run/netns). */
  netns: string;
  /** Its address on the lab bridge. */
  addr: string;
}

export interface NodeNet extends AsyncDisposable {
  nodes: LabNode[];
  /** `10.<a>.<b>` */
  subnet: string;
  /** Deletes every namespace it made; never throws. */
  remove(): void;
}

async function ip(args: string[], input?: string): Promise<void> {
  const r = await run('ip', args, { timeoutMs: 10_000, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

export async function nodeNet(count: number): Promise<NodeNet> {
  const tag = randomBytes(3).toString('hex');
  const prefix = `shj${tag}`;
  const a = 200 + (randomBytes(1)[0] ?? 0) % 50;
  const b = randomBytes(1)[0] ?? 0;
  const subnet = `10.${a}.${b}`;
  const made: string[] = [];
  const remove = (): void => {
    for (const ns of made.splice(0).reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    const sw = `${prefix}-sw`;
    await ip(['netns', 'add', sw]);
    made.push(sw);
    await ip(['-n', sw, '-batch', '-'], ['link set lo up', 'link add br0 type bridge', 'link set br0 up', ''].join('\n'));
    const nodes: LabNode[] = [];
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}-n${i}`;
      await ip(['netns', 'add', ns]);
      made.push(ns);
      const port = `${prefix}p${i}`;
      await ip(['-n', sw, '-batch', '-'], [`link add ${port} type veth peer name eth0 netns ${ns}`, `link set ${port} master br0 up`, ''].join('\n'));
      const addr = `${subnet}.${i}`;
      await ip(['-n', ns, '-batch', '-'], ['link set lo up', `addr add ${addr}/24 dev eth0`, 'link set eth0 up', ''].join('\n'));
      nodes.push({ netns: ns, addr });
    }
    return { nodes, subnet, remove, [Symbol.asyncDispose]: () => Promise.resolve(remove()) };
  } catch (e) {
    remove();
    throw e;
  }
}
