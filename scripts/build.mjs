// Bundles the CLI and the daemon (one entry point, `shoal`) into dist/shoal.cjs with esbuild.
// Native and runtime-loaded packages stay external and load from node_modules.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cmd/shoal.ts'],
  outfile: 'dist/shoal.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  minify: false,
  external: ['better-sqlite3', 'pino', 'etcd3'],
  define: { SHOAL_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  banner: { js: '"use strict";' },
});
