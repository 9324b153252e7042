// Draws a simulated rollout: one row per pod (in the order they were
// upgraded), time to the right, each stretch coloured by the pod's phase.
import type { PodPhaseInRollout, SimulationResult } from "./simulate.js";

export const PHASE_COLOURS: Record<PodPhaseInRollout, string> = {
  old: "#c9d3de",
  upgrading: "#f5a623",
  restarting: "#f8d84a",
  updated: "#2e9e5b",
  failed: "#d0021b",
  "not-upgradable": "#8b572a",
};

const PHASE_LABELS: Record<PodPhaseInRollout, string> = {
  old: "old version",
  upgrading: "written, kubelet not restarted yet",
  restarting: "restarted, not ready yet",
  updated: "updated and ready",
  failed: "never became ready",
  "not-upgradable": "not upgradable",
};

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A tick step of 1, 2 or 5 × 10^k giving about eight ticks. */
function tickStep(span: number): number {
  const rough = span / 8;
  const pow = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * pow >= rough) return m * pow;
  return 10 * pow;
}

function firstChange(segments: SimulationResult["timeline"][number]["segments"]): number {
  const s = segments.find((x) => x.phase !== "old" && x.phase !== "not-upgradable");
  return s ? s.from : Infinity;
}

export function renderSvg(result: SimulationResult): string {
  const rows = [...result.timeline].sort((a, b) => firstChange(a.segments) - firstChange(b.segments) || (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
  const rowHeight = Math.max(1, Math.min(14, Math.floor(600 / Math.max(rows.length, 1))));
  const left = 60;
  const top = 50;
  const plotWidth = 900;
  const plotHeight = Math.max(rows.length * rowHeight, 20);
  const legendTop = top + plotHeight + 40;
  const width = left + plotWidth + 30;
  const height = legendTop + 30;
  // A little room after the end, so phases that begin at the last moment show.
  const span = result.endTime + Math.max(1, result.endTime * 0.05);
  const x = (t: number): number => left + (t / span) * plotWidth;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(`SidecarSet ${result.sidecarSet}: rollout of ${result.pods} pods`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${escapeXml(`SidecarSet ${result.sidecarSet}: ${result.pods} pods, ${result.waves.filter((w) => w.kind === "upgrade").length} upgrade waves`)}</text>`,
    `<text x="${left}" y="38">${escapeXml(`stopped at ${result.stopped.time}s: ${result.stopped.reason} (${result.stopped.message}); max unavailable seen ${result.maxUnavailableSeen} of ${result.maxUnavailable}`)}</text>`,
  );
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    row.segments.forEach((s, k) => {
      const to = k === row.segments.length - 1 ? span : s.to;
      const w = Math.max(x(to) - x(s.from), to === s.from ? 0 : 0.5);
      if (w <= 0) return;
      out.push(
        `<rect x="${x(s.from).toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowHeight}" fill="${PHASE_COLOURS[s.phase]}"><title>${escapeXml(`${row.pod}: ${PHASE_LABELS[s.phase]} from ${s.from}s${k === row.segments.length - 1 ? "" : ` to ${s.to}s`}`)}</title></rect>`,
      );
    });
  });
  for (const w of result.waves) {
    if (w.kind === "upgrade") out.push(`<line x1="${x(w.time).toFixed(2)}" y1="${top}" x2="${x(w.time).toFixed(2)}" y2="${top + plotHeight}" stroke="#333333" stroke-opacity="0.3" stroke-width="0.5"/>`);
  }
  const step = tickStep(span);
  out.push(`<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#333"/>`);
  for (let t = 0; t <= span + 1e-9; t += step) {
    out.push(
      `<line x1="${x(t).toFixed(2)}" y1="${top + plotHeight}" x2="${x(t).toFixed(2)}" y2="${top + plotHeight + 4}" stroke="#333"/>`,
      `<text x="${x(t).toFixed(2)}" y="${top + plotHeight + 16}" text-anchor="middle">${Math.round(t * 100) / 100}s</text>`,
    );
  }
  out.push(`<text x="${left - 8}" y="${top + 10}" text-anchor="end">pods</text>`);
  let lx = left;
  for (const phase of Object.keys(PHASE_COLOURS) as PodPhaseInRollout[]) {
    out.push(`<rect x="${lx}" y="${legendTop}" width="12" height="12" fill="${PHASE_COLOURS[phase]}"/>`);
    out.push(`<text x="${lx + 16}" y="${legendTop + 10}">${escapeXml(PHASE_LABELS[phase])}</text>`);
    lx += 20 + PHASE_LABELS[phase].length * 6.5;
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
