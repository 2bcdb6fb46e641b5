/* Layering rules from DESIGN §2: what a folder may import goes one way only. */
const pure = '^src/(api|store/core|manager/(controlapi|orchestrator|allocator|scheduler)|compose/model)/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    { name: 'src-never-imports-test', severity: 'error', comment: 'production code never imports test code; tests beside sources may use test/ fakes and contracts',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' }, to: { path: '^test/' } },
    { name: 'lib-is-domain-free', severity: 'error', from: { path: '^src/lib/' }, to: { path: '^src/(?!lib/)' } },
    { name: 'api-imports-only-lib', severity: 'error', from: { path: '^src/api/' }, to: { path: '^src/(?!(lib|api)/)' } },
    { name: 'store-imports-lib-api', severity: 'error', from: { path: '^src/store/' }, to: { path: '^src/(?!(lib|api|store)/)' } },
    { name: 'ca-imports-lib-api', severity: 'error', from: { path: '^src/ca/' }, to: { path: '^src/(?!(lib|api|ca)/)' } },
    { name: 'rpc-imports-lib-api-ca', severity: 'error', from: { path: '^src/rpc/' }, to: { path: '^src/(?!(lib|api|ca|rpc)/)' } },
    {
      name: 'manager-components-are-independent', severity: 'error',
      comment: 'Manager components talk only through the store (DESIGN §1).',
      from: { path: '^src/manager/([^/]+)/' },
      to: { path: '^src/manager/([^/]+)/', pathNot: '^src/manager/$1/' },
    },
    { name: 'manager-components-no-agent', severity: 'error', from: { path: '^src/manager/' }, to: { path: '^src/(agent|cli|server|client|cmd|compose/engine|lab)/' } },
    { name: 'agent-no-manager', severity: 'error', from: { path: '^src/agent/' }, to: { path: '^src/(manager|cli|server|cmd|lab)/' } },
    { name: 'cli-layer', severity: 'error', comment: 'cli imports client, compose/model, api and lib only',
      from: { path: '^src/cli/' }, to: { path: '^src/(?!(cli|client|compose/model|api|lib)/)' } },
    { name: 'client-layer', severity: 'error', from: { path: '^src/client/' }, to: { path: '^src/(?!(client|api|lib)/)' } },
    { name: 'server-no-cli', severity: 'error', from: { path: '^src/server/' }, to: { path: '^src/(cli|cmd|lab)/' } },
    { name: 'only-cmd-composes', severity: 'error', comment: 'src/cmd is the only composition root',
      from: { path: '^src/(?!cmd/)' }, to: { path: '^src/cmd/' } },
    { name: 'pure-folders-no-node', severity: 'error', comment: 'pure cores never touch node:* (deterministic tests)',
      from: { path: pure, pathNot: '\\.test\\.ts$' }, to: { dependencyTypes: ['core'] } },
    { name: 'pure-folders-no-adapters', severity: 'error',
      from: { path: pure, pathNot: '\\.test\\.ts$' }, to: { path: '^src/(store/(sqlite|etcd)|agent|server|cmd|rpc)' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
