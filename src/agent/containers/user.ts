/**
 * Resolves docker's `--user` (`name`, `uid`, `name:group`, `uid:gid`) against the image's /etc/passwd and
 * /etc/group, read from the topmost layer that has them, as docker resolves it inside the container's root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../../api/errors.js';

function findFile(layersLowestFirst: readonly string[], rel: string): string | undefined {
  for (let i = layersLowestFirst.length - 1; i >= 0; i--) {
    const p = join(layersLowestFirst[i] as string, rel);
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  return undefined;
}

function table(text: string | undefined): string[][] {
  return (text ?? '').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

export function resolveUser(user: string, layers: readonly string[], groupAdd: readonly string[] = []): ResolvedUser {
  const passwd = table(findFile(layers, 'etc/passwd'));
  const groups = table(findFile(layers, 'etc/group'));
  const [u = '', g] = user === '' ? ['0', undefined] : user.split(':', 2);
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const row = passwd.find((r) => r[2] === u);
    gid = row ? Number(row[3]) : 0;
  } else {
    const row = passwd.find((r) => r[0] === u);
    if (!row) throw invalidArgument('container.user_unknown', `unable to find user ${u}: no matching entries in passwd file`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  const groupId = (name: string): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const row = groups.find((r) => r[0] === name);
    if (!row) throw invalidArgument('container.group_unknown', `unable to find group ${name}: no matching entries in group file`);
    return Number(row[2]);
  };
  if (g !== undefined && g !== '') gid = groupId(g);
  const name = passwd.find((r) => Number(r[2]) === uid)?.[0];
  const supplementary = name === undefined ? [] : groups.filter((r) => (r[3] ?? '').split(',').includes(name)).map((r) => Number(r[2]));
  const additionalGids = [...new Set([...supplementary, ...groupAdd.map(groupId)])].filter((x) => x !== gid);
  return { uid, gid, additionalGids };
}
