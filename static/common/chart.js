// chart.js: turnout over time as a bar chart (ballots per step), for the organiser and the live
// page. The series is the API's ([[RFC 3339 start, ballots], ...]); missing steps count zero.
import { el, num, time } from './common.js';

const SVG = 'http://www.w3.org/2000/svg';

// chart draws the last steps steps (of stepMs each) of series into box (a <figure>), ending at
// the series' last step. describe(peak, at, total) is the chart's text for screen readers.
export function chart(box, series, { steps, stepMs, describe }) {
  const counts = new Map(series.map(([at, n]) => [Date.parse(at), n]));
  const last = series.length ? Date.parse(series[series.length - 1][0]) : Math.floor(Date.now() / stepMs) * stepMs;
  const points = [];
  for (let i = steps - 1; i >= 0; i--) {
    const at = last - i * stepMs;
    points.push([at, counts.get(at) || 0]);
  }
  const max = Math.max(1, ...points.map((p) => p[1]));
  const total = points.reduce((s, p) => s + p[1], 0);
  const peak = points.reduce((a, b) => (b[1] > a[1] ? b : a), points[0]);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${steps * 10} 100`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', describe(peak[1], peak[0], total));
  points.forEach(([, n], i) => {
    if (!n) return;
    const h = Math.max(1.5, (n / max) * 100);
    const r = document.createElementNS(SVG, 'rect');
    r.setAttribute('x', i * 10 + 1);
    r.setAttribute('y', 100 - h);
    r.setAttribute('width', 8);
    r.setAttribute('height', h);
    svg.append(r);
  });
  const fmt = stepMs >= 3600e3 ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
  box.textContent = '';
  box.append(
    el('div', { class: 'c-plot' }, el('span', { class: 'c-max', 'aria-hidden': 'true', text: num(max) }), svg),
    el('div', { class: 'c-axis', 'aria-hidden': 'true' },
      el('span', { text: time(points[0][0], fmt) }),
      el('span', { text: time(points[points.length - 1][0], fmt) })));
}
