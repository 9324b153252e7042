// Reading Prometheus text exposition (the API server's /metrics and the
// manager's) for the end-to-end tests and the cluster benchmarks.

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

/** The value of the series `name` whose labels include `labels`; undefined when there is none. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return parseMetrics(text, name).find((s) => wanted.every(([k, v]) => s.labels[k] === v))?.value;
}

/** The manager's /metrics text (or any other local Prometheus endpoint's). */
export async function scrapeMetrics(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics on port ${port} answered ${res.status}`);
  return res.text();
}
