// Reading the alerting rules' PromQL for the tests: which metrics an
// expression names, with the labels it matches on, and which labels it groups
// by. Enough for the expressions of src/manifests/alerts.ts (selectors,
// aggregations with `by`, `on` matching, ranges), not a PromQL parser.

export interface ExpressionParts {
  /** Metric name → the label names its selector matches on. */
  selectors: Map<string, string[]>;
  /** Labels named in `by (...)` and `on (...)`. */
  grouping: string[];
  /** Labels of the outermost `by (...)`, or undefined when the expression does not aggregate. */
  resultLabels: string[] | undefined;
}

/** Words of the expressions that name no metric. */
const FUNCTIONS = new Set(["sum", "max", "min", "rate", "delta", "histogram_quantile", "by", "on", "unless", "and", "or"]);

/** The metrics, matchers and grouping labels of `expr`. */
export function parseExpression(expr: string): ExpressionParts {
  const grouping: string[] = [];
  let resultLabels: string[] | undefined;
  let rest = expr.replace(/\b(by|on) \(([^)]*)\)/g, (_, kind: string, labels: string) => {
    const names = labels.split(",").map((l) => l.trim()).filter(Boolean);
    grouping.push(...names);
    if (kind === "by") resultLabels ??= names;
    return " ";
  });
  const selectors = new Map<string, string[]>();
  rest = rest.replace(/\b([a-z_][a-z0-9_]*)\{([^}]*)\}/g, (_, name: string, matchers: string) => {
    const labels = [...matchers.matchAll(/([a-z_][a-z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
    selectors.set(name, labels);
    return " ";
  });
  rest = rest.replace(/"[^"]*"|\[[^\]]*\]/g, " ");
  for (const m of rest.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)) {
    const name = m[1]!;
    if (!FUNCTIONS.has(name) && name.includes("_") && !selectors.has(name)) selectors.set(name, []);
  }
  return { selectors, grouping, resultLabels };
}


/** The histogram a series of it names (its name less _bucket, _sum or _count), or undefined for another series. */
export function histogramOfSeries(series: string): { histogram: string; suffix: "bucket" | "sum" | "count" } | undefined {
  const match = /^(.*)_(bucket|sum|count)$/.exec(series);
  return match ? { histogram: match[1]!, suffix: match[2] as "bucket" | "sum" | "count" } : undefined;
}
