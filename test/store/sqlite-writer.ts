/**
 * Child process for the SQLite durability test: opens the database given as argv[2], writes argv[3] keys one
 * transaction at a time, and prints `<rev> <key> <value>` for each write right after it is acknowledged.
 * The parent kills it with SIGKILL part-way through.
 */
import { openSqliteBackend } from '../../src/store/sqlite/sqlite-backend.js';

const [path, count = '100000'] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: sqlite-writer.ts <db path> [count]');
const backend = openSqliteBackend(path);
for (let i = 0; i < Number(count); i++) {
  const key = `/durable/${i}`;
  const value = `v${i}`;
  const r = await backend.txn([{ key, modRev: 0 }], [{ type: 'put', key, value }]);
  if (!r.ok) throw new Error(`write ${key} failed its compare`);
  process.stdout.write(`${r.rev} ${key} ${value}\n`); // pipes are synchronous on Linux: printed means acked
}
await backend.close();
