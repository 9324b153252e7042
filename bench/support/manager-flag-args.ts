// `--manager-flag F` or `--manager-flag=F` (repeatable) on a cluster benchmark's command line: further flags
// for the manager it starts, e.g. `--manager-flag=--admission-warm-up=0` for a control run.

export function managerFlagArgs(argv: readonly string[] = process.argv): string[] {
  return argv.flatMap((a, i) => (a === "--manager-flag" ? [argv[i + 1]!] : a.startsWith("--manager-flag=") ? [a.slice("--manager-flag=".length)] : []));
}
