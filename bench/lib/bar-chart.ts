import { chartFrame, escapeXml as escape, niceCeiling } from './chart-parts.js';

/** One bar: its label, height, and an optional range drawn as a whisker. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
  /** Small text under the label, e.g. the p99. */
  readonly note?: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly subtitle?: string;
  readonly yLabel: string;
  readonly bars: readonly Bar[];
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { top: 64, right: 24, bottom: 72, left: 72 };


/** A dependency-free SVG bar chart, readable on GitHub in light and dark themes. */
export function barChart(options: BarChartOptions): string {
  const { bars } = options;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const top = niceCeiling(Math.max(...bars.map((b) => b.high ?? b.value)));
  const y = (v: number): number => MARGIN.top + plotH - (v / top) * plotH;
  const slot = plotW / bars.length;
  const barW = Math.min(80, slot * 0.6);
  const parts = chartFrame(WIDTH, HEIGHT, options.title, options.subtitle);
  for (let i = 0; i <= 5; i++) {
    const v = (top / 5) * i;
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${y(v) + 4}" text-anchor="end" fill="#555">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  parts.push(`<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escape(options.yLabel)}</text>`);
  bars.forEach((bar, i) => {
    const cx = MARGIN.left + slot * i + slot / 2;
    parts.push(`<rect x="${cx - barW / 2}" y="${y(bar.value)}" width="${barW}" height="${y(0) - y(bar.value)}" fill="#3b7dd8"/>`);
    if (bar.low !== undefined && bar.high !== undefined) {
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(bar.low)}" y2="${y(bar.high)}" stroke="#222" stroke-width="1.5"/>`);
      for (const v of [bar.low, bar.high]) parts.push(`<line x1="${cx - 8}" x2="${cx + 8}" y1="${y(v)}" y2="${y(v)}" stroke="#222" stroke-width="1.5"/>`);
    }
    parts.push(`<text x="${cx}" y="${y(bar.high ?? bar.value) - 6}" text-anchor="middle" font-weight="bold">${Math.round(bar.value).toLocaleString('en-US')}</text>`);
    parts.push(`<text x="${cx}" y="${y(0) + 18}" text-anchor="middle">${escape(bar.label)}</text>`);
    if (bar.note) parts.push(`<text x="${cx}" y="${y(0) + 34}" text-anchor="middle" fill="#555">${escape(bar.note)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
