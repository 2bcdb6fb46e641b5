/** Interleaves several async iterables, yielding items as they come; ends when all have ended. */
export async function* merge<T>(sources: readonly AsyncIterable<T>[]): AsyncGenerator<T> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number): void => {
    const it = its[i];
    if (it) pending.set(i, it.next().then((r) => ({ i, r })));
  };
  its.forEach((_, i) => pull(i));
  while (pending.size > 0) {
    const { i, r } = await Promise.race(pending.values());
    if (r.done === true) {
      pending.delete(i);
      continue;
    }
    pull(i);
    yield r.value;
  }
}
