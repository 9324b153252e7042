// Whether the e2e tests run the compiled CLI (dist/cli/main.js) or the
// TypeScript sources through tsx. The e2e runner compiles dist/ before the
// files start and sets the variable; without it (a file run by itself with
// `node --test`), dist/ may be older than the sources, so they are run.

/** Set to "1" by the e2e runner once dist/ is compiled from the current sources. */
export const COMPILED_CLI_ENV = "SIDECARSET_E2E_COMPILED_CLI";

export function compiledCliBuilt(): boolean {
  return process.env[COMPILED_CLI_ENV] === "1";
}
