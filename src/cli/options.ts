/** Option parsers shared by verbs. Each throws commander's InvalidArgumentError so the message is clean. */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../lib/duration.js';

export function durationOption(value: string): number {
  const ns = parseDuration(value);
  if (ns === undefined || ns < 0) throw new InvalidArgumentError(`invalid duration "${value}" (examples: 5s, 1m30s, 2160h)`);
  return ns;
}

export function uintOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`invalid number "${value}"`);
  return Number(value);
}

/** Collects repeated flags (`--label-add a=1 --label-add b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`must be one of: ${allowed.join(', ')}`);
    }
    return value as T;
  };
}
