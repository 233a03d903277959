import { h } from './dom.js';

/** 0.5, 2, 12.345: at most three decimals, no trailing zeros. */
export function rate(n: number): string {
  return String(Number(n.toFixed(3)));
}

export function count(n: number): string {
  return n.toLocaleString();
}

/** 45 s, 3 min 20 s, 2 h 05 min, 3 d 4 h. */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/** A <time> element: the local time, with the full timestamp as a tooltip. */
export function time(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, dateTime(iso));
}

/** A datetime-local control's value (the browser's time zone) as ISO-8601 UTC; unset when empty or invalid. */
export function isoFromLocal(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** "in 12 s" for an expected completion, "any moment now" once it is due. */
export function eta(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const text = seconds <= 0.5 ? 'any moment now' : `in ${duration(seconds)}`;
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, text);
}

export const JOB_STATUS_TEXT: Record<string, string> = {
  scheduled: 'scheduled',
  held: 'held until send time',
  pending: 'waiting',
  sending: 'sending',
  completed: 'completed',
  partial: 'partly failed',
  failed: 'failed',
  cancelled: 'cancelled',
  sent: 'sent',
};

/** A coloured status label; the text itself always says the status (colour is extra). */
export function statusBadge(status: string): HTMLElement {
  return h(
    'span',
    { class: `badge badge-${status}`, 'data-status': status },
    JOB_STATUS_TEXT[status] ?? status,
  );
}

/** An accessible progress bar (role=progressbar) with its percentage written beside it. */
export function progressBar(percent: number, label: string): HTMLElement {
  const p = Math.max(0, Math.min(100, Math.round(percent * 10) / 10));
  const fill = h('span', { class: 'progress-fill' });
  fill.style.width = `${p}%`;
  return h(
    'span',
    { class: 'progress-wrap' },
    h(
      'span',
      {
        class: `progress${p >= 100 ? ' progress-done' : ''}`,
        role: 'progressbar',
        'aria-label': label,
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': p,
        'aria-valuetext': `${p} %`,
      },
      fill,
    ),
    h('span', { class: 'progress-text' }, `${p} %`),
  );
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** 812 B, 12.3 kB, 4.5 MB (powers of 1000, as file managers show them). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toFixed(1))} ${units[i]}`;
}
