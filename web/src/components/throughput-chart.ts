import uPlot from 'uplot';
import type { ThroughputPoint } from '../api.js';
import { h } from '../dom.js';

export const WINDOW_SECONDS = 600;
const HEIGHT = 220;

/**
 * Gateway requests per second over the last 10 minutes (uPlot): sent and failed, one line
 * each. The canvas is described for screen readers by a text summary under it.
 */
export class ThroughputChart {
  readonly el: HTMLElement;
  private readonly plotBox = h('div', { class: 'chart', role: 'img' });
  private readonly summary = h('p', { class: 'chart-summary' }, 'Loading…');
  private plot: uPlot | null = null;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    this.el = h(
      'figure',
      { class: 'chart-figure' },
      this.plotBox,
      h('figcaption', null, this.summary),
    );
    this.resize.observe(this.plotBox);
  }

  update(points: ThroughputPoint[]): void {
    const now = Math.floor(Date.now() / 1000);
    const start = now - WINDOW_SECONDS + 1;
    const bySecond = new Map<number, ThroughputPoint>();
    for (const p of points) bySecond.set(Math.floor(new Date(p.second).getTime() / 1000), p);
    const xs: number[] = [];
    const sent: number[] = [];
    const failed: number[] = [];
    for (let t = start; t <= now; t++) {
      const p = bySecond.get(t);
      xs.push(t);
      sent.push(p?.sent ?? 0);
      failed.push(p?.failed ?? 0);
    }
    const data: uPlot.AlignedData = [xs, sent, failed];
    if (this.plot) this.plot.setData(data);
    else this.create(data);

    const totalSent = points.reduce((n, p) => n + p.sent, 0);
    const totalFailed = points.reduce((n, p) => n + p.failed, 0);
    const peak = points.reduce((n, p) => Math.max(n, p.requests), 0);
    const text =
      `Last 10 minutes: ${totalSent} SMS sent, ${totalFailed} failed` +
      (peak ? `, peak ${peak} per second.` : '.');
    this.summary.textContent = text;
    this.plotBox.setAttribute('aria-label', `Chart of SMS sent per second. ${text}`);
  }

  dispose(): void {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  private width(): number {
    return Math.max(200, Math.floor(this.plotBox.clientWidth || 600));
  }

  private fit(): void {
    if (this.plot && this.plotBox.clientWidth > 0) {
      this.plot.setSize({ width: this.width(), height: HEIGHT });
    }
  }

  private create(data: uPlot.AlignedData): void {
    const opts: uPlot.Options = {
      width: this.width(),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(2, max * 1.15)] } },
      axes: [{}, { label: 'SMS per second', size: 50 }],
      series: [
        { label: 'Time' },
        { label: 'Sent', stroke: '#1a7f37', fill: 'rgba(26,127,55,0.15)', width: 2 },
        { label: 'Failed', stroke: '#c62828', width: 2 },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    this.plot = new uPlot(opts, data, this.plotBox);
  }
}
