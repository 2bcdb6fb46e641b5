/**
 * Applying nftables text (docs/design/networking.md "Atomic rule changes"): the text goes to a temp file in a
 * private directory and `nft -f <file>` reads it (`nft -f -` fails from a Node pipe: Node's stdio pipes are unix
 * sockets, dependencies.md §4), in the given netns through `ip netns exec` or in the daemon's own. A failure carries
 * nft's stderr. Reading back is `nft -j list table` parsed, for tests and cleanup.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { internal, invalidArgument } from '../../api/errors.js';
import { spawnCapture } from './iproute.js';

export interface NftOptions {
  /** A named netns (`ip netns exec <netns> nft …`); undefined = the daemon's own netns. */
  netns?: string;
}

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const FAMILIES: readonly string[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

function nftCommand(args: readonly string[], o: NftOptions): [string, string[]] {
  return o.netns === undefined ? ['nft', [...args]] : ['ip', ['netns', 'exec', o.netns, 'nft', ...args]];
}

async function nft(what: string, args: readonly string[], o: NftOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, argv] = nftCommand(args, o);
  try {
    return await spawnCapture(file, argv);
  } catch (e) {
    throw internal('network.nft_failed', `${what}: cannot run ${file}: ${(e as Error).message}`, e);
  }
}

function where(o: NftOptions): string {
  return o.netns === undefined ? '' : ` in netns ${o.netns}`;
}

/** Applies a ruleset text with one `nft -f` (atomic: all of it or nothing). */
export async function applyRuleset(text: string, o: NftOptions = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-nft-'));
  try {
    const file = join(dir, 'ruleset.nft');
    await writeFile(file, text, { mode: 0o600 });
    const r = await nft('nft -f', ['-f', file], o);
    if (r.code !== 0) {
      throw internal('network.nft_failed', `nft -f${where(o)} failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The contract's spelling (networking.md "Agent ports and modules"): `applyTable(netns, text)`. */
export function applyTable(netns: string | undefined, text: string): Promise<void> {
  return applyRuleset(text, netns === undefined ? {} : { netns });
}

function checkTable(name: string, family: NftFamily): void {
  if (!NAME.test(name)) throw invalidArgument('network.nft_invalid', `name: ${JSON.stringify(name)} is not a valid nft table name`);
  if (!FAMILIES.includes(family)) throw invalidArgument('network.nft_invalid', `family: ${JSON.stringify(family)} is not an nft family`);
}

/** Deletes a table; a missing table is not an error (create-then-delete in one transaction). */
export async function deleteTable(name: string, family: NftFamily = 'ip', o: NftOptions = {}): Promise<void> {
  checkTable(name, family);
  await applyRuleset(`table ${family} ${name} {}\ndelete table ${family} ${name}\n`, o);
}

/** One object of `nft -j` output: `{ table: {...} }`, `{ chain: {...} }`, `{ rule: {...} }`, … */
export type NftObject = Record<string, Record<string, unknown>>;

/** `nft -j list table <family> <name>` parsed (metainfo left out); undefined when the table does not exist. */
export async function listTable(name: string, family: NftFamily = 'ip', o: NftOptions = {}): Promise<NftObject[] | undefined> {
  checkTable(name, family);
  const r = await nft('nft list table', ['-j', 'list', 'table', family, name], o);
  if (r.code !== 0) {
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw internal('network.nft_failed', `nft list table ${family} ${name}${where(o)} failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
  }
  const parsed = JSON.parse(r.stdout) as { nftables?: NftObject[] };
  return (parsed.nftables ?? []).filter((x) => !('metainfo' in x));
}
