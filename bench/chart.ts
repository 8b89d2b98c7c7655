import type { SummarizedLatency } from "./results.js";
import { quantile } from "./stats.js";

const WIDTH = 900;
const LABEL_WIDTH = 250;
const ROW_HEIGHT = 22;
const GROUP_GAP = 46;
const PLOT_LEFT = LABEL_WIDTH + 10;
const PLOT_RIGHT = WIDTH - 20;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One group's systems with their sorted samples. */
export interface ChartGroup {
  readonly workload: string;
  readonly rows: ReadonlyArray<{ readonly summary: SummarizedLatency; readonly sorted: readonly number[] }>;
}

/**
 * Draws one box plot per system and workload on a logarithmic millisecond
 * axis per workload: whiskers from the minimum to p99, the box from p25 to
 * p75 and a mark at the median. The axes are logarithmic because the
 * systems differ by up to four orders of magnitude.
 */
export function renderLatencyChart(groups: readonly ChartGroup[]): string {
  const parts: string[] = [];
  let y = 30;
  for (const group of groups) {
    const values = group.rows.flatMap((row) => [row.sorted[0]!, quantile(row.sorted, 0.99)]).filter((value) => value > 0);
    const low = 10 ** Math.floor(Math.log10(Math.min(...values)));
    const high = 10 ** Math.ceil(Math.log10(Math.max(...values)));
    const scale = (ms: number) => PLOT_LEFT + ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (PLOT_RIGHT - PLOT_LEFT);

    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(group.workload)} (ms, log scale)</text>`);
    y += 12;
    const top = y;
    for (const { summary, sorted } of group.rows) {
      const middle = y + ROW_HEIGHT / 2;
      const [min, p25, median, p75, p99] = [sorted[0]!, quantile(sorted, 0.25), summary.medianMs, quantile(sorted, 0.75), summary.p99Ms];
      parts.push(
        `<text x="${LABEL_WIDTH}" y="${middle + 4}" text-anchor="end">${escapeXml(summary.system)}</text>`,
        `<line x1="${scale(min)}" x2="${scale(p99)}" y1="${middle}" y2="${middle}" stroke="#555"/>`,
        `<rect x="${scale(p25)}" y="${y + 4}" width="${Math.max(1, scale(p75) - scale(p25))}" height="${ROW_HEIGHT - 8}" fill="${summary.system === "seatbelt" || summary.system.startsWith("seatbelt,") ? "#2b7bb9" : "#bbb"}" stroke="#333"/>`,
        `<line x1="${scale(median)}" x2="${scale(median)}" y1="${y + 2}" y2="${y + ROW_HEIGHT - 2}" stroke="#000" stroke-width="2"/>`,
      );
      y += ROW_HEIGHT;
    }
    for (let tick = low; tick <= high * 1.0001; tick *= 10) {
      const x = scale(tick);
      parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${y}" stroke="#ddd"/>`, `<text x="${x}" y="${y + 14}" text-anchor="middle" font-size="11">${tick >= 1 ? tick : tick.toPrecision(1)}</text>`);
    }
    y += GROUP_GAP;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join("\n")}\n</svg>\n`;
}
