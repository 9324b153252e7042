// Reading Prometheus text exposition (the API server's /metrics and the
// manager's) for the cluster benchmarks.

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Every sample of the series `name` in `text`, with its labels. */
export function parseMetrics(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf("{");
    const close = line.lastIndexOf("}");
    const labels: Record<string, string> = {};
    if (open >= 0 && close > open) {
      for (const m of line.slice(open + 1, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    }
    out.push({ labels, value: Number(line.slice(line.lastIndexOf(" ") + 1)) });
  }
  return out;
}

/** The sum of the samples whose labels `match`. */
export const sum = (samples: Sample[], match: (l: Record<string, string>) => boolean = () => true): number =>
  samples.filter((s) => match(s.labels)).reduce((a, s) => a + s.value, 0);
