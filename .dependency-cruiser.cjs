/**
 * Module boundaries of haproxy-operator, checked in `npm test` by test/architecture/boundaries.test.ts.
 * The flow is sources -> operations/ -> reconcile/ (the one runner) -> haproxy/adapter.ts; types
 * that cross layers live in model/. os/ is a leaf (crash-safe file writes, process checks; nothing of ours imported)
 * that any module may use. Known violations still to remove are listed in KNOWN, each with why.
 */
/**
 * The sources: they change desired state through the operations layer and never reach HAProxy or
 * the store. migrate/ is not one: it is the offline `import` command, run from main.ts under the
 * state lock while no operator runs, and writes the state files itself.
 */
const SOURCES = '^src/(mcp|api|podman|resources|acme|dns|cli|http|metrics|audit)/';

/** Files exempt from one rule today, with why. An empty list for a rule means it holds everywhere. */
const KNOWN = {
  'only-wiring-knows-everything': [
    // Startup checks read the state paths from operator.ts; preflight belongs with the wiring (issue 13 reworks it).
    '^src/preflight\\.ts$',
  ],
};
const exempt = (rule) => (KNOWN[rule] ?? []).join('|') || '^$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, between files or (through them) folders; a cycle through type-only imports (erased at run time) is allowed.',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'model-imports-nothing-of-ours',
      severity: 'error',
      comment: 'model/ holds the types and zod schemas every layer shares; it depends on libraries only.',
      from: { path: '^src/model/' },
      to: { path: '^src/', pathNot: '^src/model/' },
    },
    {
      name: 'os-is-a-leaf',
      severity: 'error',
      comment: 'os/ (atomic writes, process checks) imports nothing of ours, so every module may use it.',
      from: { path: '^src/os/' },
      to: { path: '^src/', pathNot: '^src/os/' },
    },
    {
      name: 'reconcile-only-model',
      severity: 'error',
      comment: 'reconcile/ (planner and runner) reaches HAProxy and the store through ports declared in model/.',
      from: { path: '^src/reconcile/' },
      to: { path: '^src/', pathNot: '^src/(model|reconcile)/' },
    },
    {
      name: 'haproxy-only-model',
      severity: 'error',
      comment: 'haproxy/ implements the ports of model/ and knows nothing of the layers above it (os/ is a leaf).',
      from: { path: '^src/haproxy/' },
      to: { path: '^src/', pathNot: '^src/(model|haproxy|os)/' },
    },
    {
      name: 'operations-not-haproxy-or-store',
      severity: 'error',
      comment: 'The operations layer edits desired state and asks the runner for a pass; it never talks to HAProxy or the store.',
      from: { path: '^src/operations/', pathNot: '^src/operations/admin\\.ts$' },
      to: { path: '^src/(haproxy|store)/' },
    },
    {
      name: 'admin-only-saved-states',
      severity: 'error',
      comment:
        'KNOWN: admin.ts (legacy save_state/restore_state, reload, config check) writes <state>/saved/ through store/saved-states.ts; ' +
        'it is process-level, not an operation, and belongs outside operations/. Nothing else of haproxy/ or store/.',
      from: { path: '^src/operations/admin\\.ts$' },
      to: { path: '^src/(haproxy|store)/', pathNot: '^src/store/saved-states\\.ts$' },
    },
    {
      name: 'sources-not-haproxy-or-store',
      severity: 'error',
      comment: 'Sources change desired state through the operations layer only.',
      from: { path: SOURCES },
      to: { path: '^src/(haproxy|store)/' },
    },
    {
      name: 'only-wiring-knows-everything',
      severity: 'error',
      comment: 'main.ts, operator.ts and wiring/ connect the modules; nothing else imports them.',
      from: { path: '^src/', pathNot: ['^src/(main\\.ts|operator\\.ts|wiring/)', exempt('only-wiring-knows-everything')] },
      to: { path: '^src/(main\\.ts|operator\\.ts|wiring/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)/' },
  },

};
