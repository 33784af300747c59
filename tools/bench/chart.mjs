// A small SVG chart of benchmark ratios (our own code, no dependency):
// one group of bars per metric, one bar per server, on a log scale so a
// 0.05x peer and a 4x one both stay readable. The reference server of each
// group sits at 1x; a dashed tick marks our target.
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const COLORS = { ours: '#3b7dd8', sweep: '#7ea6e0', tight: '#777777', loose: '#aaaaaa' };
const PEER = '#e0a030';

/**
 * groups: [{ title, better: 'higher' | 'lower', target?: number,
 *            bars: [{ name, label, value }] }]
 */
export function ratioChart({ title, subtitle, groups, notes = [] }) {
  const W = 820;
  const left = 200;
  const right = 150;
  const barH = 15;
  const gap = 3;
  const groupGap = 26;
  const top = 78;
  const plotW = W - left - right;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.1, ...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(2, ...values)));
  const x = (v) => Math.round((left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW) * 10) / 10;
  const plotH = groups.reduce((h, g) => h + groupGap + g.bars.length * (barH + gap), 0);
  const H = top + plotH + 30 + notes.length * 17 + 10;
  const p = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  p.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  p.push(`<text x="16" y="26" font-size="17" font-weight="bold">${esc(title)}</text>`);
  p.push(`<text x="16" y="46" fill="#555">${esc(subtitle)}</text>`);
  const ticks = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) ticks.push(d, d * 2, d * 5);
  for (const t of ticks.filter((t) => t >= lo && t <= hi * 1.0001)) {
    const major = Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9;
    p.push(`<line x1="${x(t)}" y1="${top - 8}" x2="${x(t)}" y2="${top + plotH}" stroke="${t === 1 ? '#444' : major ? '#d0d0d0' : '#eeeeee'}"/>`);
    p.push(`<text x="${x(t)}" y="${top - 12}" text-anchor="middle" fill="#777" font-size="10">${+t.toPrecision(2)}x</text>`);
  }
  let y = top;
  for (const g of groups) {
    y += groupGap;
    p.push(`<text x="16" y="${y - 8}" font-weight="bold">${esc(g.title)}</text>`);
    for (const b of g.bars) {
      const isOurs = b.name === 'ours';
      const ok = g.target === undefined ? true : g.better === 'higher' ? b.value >= g.target : b.value <= g.target;
      const color = isOurs ? (ok ? COLORS.ours : '#d8553b') : (COLORS[b.name] ?? PEER);
      p.push(`<text x="${left - 8}" y="${y + barH - 3}" text-anchor="end"${isOurs ? ' font-weight="bold"' : ''}>${esc(b.label)}</text>`);
      p.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left)}" height="${barH}" fill="${color}"/>`);
      let text = `${b.value >= 10 ? b.value.toFixed(0) : b.value.toFixed(2)}x`;
      if (isOurs && g.target !== undefined) {
        p.push(`<line x1="${x(g.target)}" y1="${y - 2}" x2="${x(g.target)}" y2="${y + barH + 2}" stroke="#222" stroke-width="2" stroke-dasharray="3 2"/>`);
        text += ` (target ${g.better === 'higher' ? '≥' : '≤'} ${g.target}x)`;
      }
      p.push(`<text x="${Math.max(x(b.value), isOurs && g.target !== undefined ? x(g.target) : 0) + 6}" y="${y + barH - 3}" fill="#222">${esc(text)}</text>`);
      y += barH + gap;
    }
  }
  notes.forEach((n, i) => p.push(`<text x="16" y="${top + plotH + 28 + i * 17}" fill="#333">${esc(n)}</text>`));
  p.push('</svg>');
  return `${p.join('\n')}\n`;
}
