/** Container names: docker's syntax rule and its "adjective_surname" generator for unnamed containers. */
import type { Random } from '../../lib/random.js';

const VALID = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function isValidName(name: string): boolean {
  return VALID.test(name);
}

/** Names are stored with docker's leading slash. */
export function canonicalName(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

const LEFT = [
  'admiring', 'agile', 'bold', 'brave', 'calm', 'clever', 'cool', 'eager', 'elated', 'epic', 'fervent', 'focused',
  'gallant', 'gifted', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'lucid', 'modest', 'nifty', 'quirky', 'relaxed',
  'serene', 'sharp', 'stoic', 'sweet', 'tender', 'upbeat', 'vibrant', 'wizardly', 'xenodochial', 'youthful', 'zen',
];
const RIGHT = [
  'babbage', 'bohr', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'fermi', 'galileo', 'gauss', 'hopper',
  'hypatia', 'kepler', 'knuth', 'lamport', 'liskov', 'lovelace', 'maxwell', 'newton', 'noether', 'pascal', 'ritchie',
  'shannon', 'thompson', 'torvalds', 'turing', 'wozniak', 'yalow',
];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random.float() * items.length)] as T;
}

/** A fresh docker-style name not in `taken` (with a numeric suffix after a few collisions, as docker does). */
export function generateName(random: Random, taken: (name: string) => boolean): string {
  for (let i = 0; ; i++) {
    let name = `${pick(random, LEFT)}_${pick(random, RIGHT)}`;
    if (i >= 3) name += String(Math.floor(random.float() * 10));
    if (!taken(canonicalName(name))) return name;
  }
}
