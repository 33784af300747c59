// A small SVG bar chart of benchmark ratios (our own code, no dependency).
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * rows: [{ label, value, target, better: 'higher' | 'lower', unit }]
 * Bars are drawn on a common 0..max scale with a tick at each row's target.
 */
export function barChart({ title, subtitle, rows, notes = [] }) {
  const W = 760;
  const left = 230;
  const right = 110;
  const rowH = 34;
  const top = 70;
  const plotW = W - left - right;
  const max = Math.max(1.5, ...rows.map((r) => Math.max(r.value, r.target))) * 1.05;
  const H = top + rows.length * rowH + 30 + notes.length * 18 + 10;
  const x = (v) => left + (v / max) * plotW;
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="16" y="26" font-size="17" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<text x="16" y="46" fill="#555">${esc(subtitle)}</text>`);
  for (const t of [0, 0.5, 1, 1.5, 2, 2.5, 3].filter((t) => t <= max)) {
    parts.push(`<line x1="${x(t)}" y1="${top - 8}" x2="${x(t)}" y2="${top + rows.length * rowH}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${x(t)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#777">${t}x</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const ok = r.better === 'higher' ? r.value >= r.target : r.value <= r.target;
    parts.push(`<text x="${left - 10}" y="${y + 17}" text-anchor="end">${esc(r.label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(r.value) - left)}" height="${rowH - 12}" fill="${ok ? '#3b7dd8' : '#d8553b'}"/>`);
    parts.push(`<line x1="${x(r.target)}" y1="${y}" x2="${x(r.target)}" y2="${y + rowH - 4}" stroke="#222" stroke-width="2" stroke-dasharray="4 2"/>`);
    parts.push(`<text x="${x(r.value) + 6}" y="${y + 17}" fill="#222">${r.value.toFixed(2)}x (target ${r.better === 'higher' ? '≥' : '≤'} ${r.target}x)</text>`);
  });
  notes.forEach((n, i) => parts.push(`<text x="16" y="${top + rows.length * rowH + 40 + i * 18}" fill="#333">${esc(n)}</text>`));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
