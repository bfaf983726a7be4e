/**
 * An SVG bar chart of throughput per implementation pair: one bar per configuration at its median, a
 * whisker from the slowest to the fastest run, so the noise is visible next to the differences.
 */
import { fmt } from './stats.js';

export interface Bar {
  label: string;
  group: string;
  median: number;
  min: number;
  max: number;
}

const COLOURS: Record<string, string> = {
  'at-least-once': '#3b6ea5',
  'at-most-once': '#e08a2c',
  '1 MiB': '#5a9e5a',
  broker: '#8a5aa5',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The chart as an SVG document; `unit` names the axis (messages per second). */
export function barChart(title: string, bars: readonly Bar[], unit = 'messages/s'): string {
  const rowH = 22;
  const left = 250;
  const width = 820;
  const plotW = width - left - 90;
  const top = 48;
  const height = top + bars.length * rowH + 40;
  const max = Math.max(1, ...bars.map((b) => b.max));
  const x = (v: number) => left + (v / max) * plotW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  const legend = [...new Set(bars.map((b) => b.group))];
  legend.forEach((g, i) => {
    const lx = left + i * 150;
    parts.push(
      `<rect x="${lx}" y="30" width="10" height="10" fill="${COLOURS[g] ?? '#777'}"/>`,
      `<text x="${lx + 14}" y="39">${esc(g)}</text>`,
    );
  });
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const colour = COLOURS[b.group] ?? '#777';
    parts.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(b.median) - left).toFixed(1)}" height="${rowH - 6}" fill="${colour}"/>`,
      `<line x1="${x(b.min).toFixed(1)}" x2="${x(b.max).toFixed(1)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="black"/>`,
      `<text x="${(x(b.max) + 6).toFixed(1)}" y="${y + 14}">${fmt(b.median)}</text>`,
    );
  });
  const axisY = top + bars.length * rowH + 4;
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${axisY}" y2="${axisY}" stroke="#444"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(
      `<text x="${x(v).toFixed(1)}" y="${axisY + 14}" text-anchor="middle" fill="#444">${fmt(v)}</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${axisY + 30}" text-anchor="middle" fill="#444">${esc(unit)} (median; whisker: slowest to fastest run)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
