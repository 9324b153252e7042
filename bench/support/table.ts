// The benchmarks' tables: columns padded to their widest cell, two spaces apart.

/** Prints `rows` (the first is the header) as aligned columns on stdout. */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd() + "\n");
}
