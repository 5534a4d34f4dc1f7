import { chartFrame, escapeXml as escape, niceCeiling } from './chart-parts.js';

/** One line: its points (x, y) and how it is drawn. */
export interface Series {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  readonly color: string;
  /** Plot against the right-hand axis. */
  readonly right?: boolean;
  readonly dashed?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly rightLabel?: string;
  /** Ticks on the x axis, which is logarithmic (base 2): batch sizes 1, 8, 64… */
  readonly xTicks: readonly number[];
  readonly series: readonly Series[];
}

const WIDTH = 680;
const HEIGHT = 380;
const MARGIN = { top: 64, right: 80, bottom: 92, left: 80 };

const label = (v: number): string => (v >= 10_000 ? `${Math.round(v / 1000)}k` : Math.round(v).toLocaleString('en-US'));

/** A dependency-free SVG line chart with a log2 x axis and an optional right axis, white background. */
export function lineChart(options: LineChartOptions): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xs = options.xTicks.map((t) => Math.log2(t));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const x = (v: number): number => MARGIN.left + (xMax === xMin ? plotW / 2 : ((Math.log2(v) - xMin) / (xMax - xMin)) * plotW);
  const topOf = (right: boolean): number => niceCeiling(Math.max(0, ...options.series.filter((s) => (s.right ?? false) === right).flatMap((s) => s.points.map((p) => p.y))));
  const top = { left: topOf(false), right: topOf(true) };
  const y = (v: number, right: boolean): number => MARGIN.top + plotH - (v / (right ? top.right : top.left)) * plotH;

  const parts = chartFrame(WIDTH, HEIGHT, options.title, options.subtitle);
  for (let i = 0; i <= 5; i++) {
    const v = (top.left / 5) * i;
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v, false)}" y2="${y(v, false)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(v, false) + 4}" text-anchor="end" fill="#555">${label(v)}</text>`);
    if (options.rightLabel) parts.push(`<text x="${WIDTH - MARGIN.right + 8}" y="${y(v, false) + 4}" fill="#555">${label((top.right / 5) * i)}</text>`);
  }
  for (const tick of options.xTicks) parts.push(`<text x="${x(tick)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${tick}</text>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 38}" text-anchor="middle" fill="#333">${escape(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(20 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escape(options.yLabel)}</text>`);
  if (options.rightLabel) parts.push(`<text transform="translate(${WIDTH - 16} ${MARGIN.top + plotH / 2}) rotate(90)" text-anchor="middle" fill="#333">${escape(options.rightLabel)}</text>`);

  options.series.forEach((series, i) => {
    const right = series.right ?? false;
    const points = series.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y, right).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of series.points) parts.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y, right).toFixed(1)}" r="3.5" fill="${series.color}"/>`);
    // Legend under the axis label, one entry per series.
    const lx = MARGIN.left + (plotW / options.series.length) * i;
    const ly = HEIGHT - 18;
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${lx + 30}" y="${ly}">${escape(series.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
