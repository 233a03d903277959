import type { QueueStatus } from '../api.js';
import { h, replace } from '../dom.js';
import { count, duration, eta, rate } from '../format.js';

interface Card {
  key: string;
  label: string;
  value: string;
  note: Node | string;
  tone?: 'warn' | 'ok';
}

function cards(s: QueueStatus): Card[] {
  const list: Card[] = [
    {
      key: 'waiting',
      label: 'SMS waiting',
      value: count(s.queue_depth),
      note: `${count(s.lanes.urgent.queue_depth)} urgent, ${count(s.lanes.normal.queue_depth)} normal; ${s.active_users} user(s) sharing the rate`,
    },
    {
      key: 'rate',
      label: 'Configured rate',
      value: `${rate(s.msgs_per_sec)}/s`,
      note: `burst ${s.burst_capacity}, ${rate(s.tokens_available)} token(s) in hand`,
    },
    {
      key: 'observed',
      label: 'Observed rate',
      value: `${rate(s.observed_msgs_per_sec)}/s`,
      note: 'gateway requests, last 60 s',
    },
    {
      key: 'drain',
      label: 'Time to drain',
      value: s.queue_depth === 0 ? 'empty' : duration(s.estimated_drain_seconds),
      note: s.paused ? 'once sending resumes' : 'at the configured rate',
    },
    {
      key: 'paused',
      label: 'Sending',
      value: s.paused ? 'Paused' : 'Running',
      note: `${s.workers} worker(s)`,
      tone: s.paused ? 'warn' : 'ok',
    },
  ];
  if (s.user) {
    const next = s.user.next_estimated_complete_at;
    list.push({
      key: 'mine',
      label: 'Your SMS waiting',
      value: count(s.user.pending_recipients),
      note: h(
        'span',
        null,
        `your share ${Math.round(s.user.share * 100)} % of the rate; `,
        next
          ? h('span', null, 'next job done ', eta(next))
          : `${s.user.pending_messages} job(s) unfinished`,
      ),
    });
  }
  return list;
}

/** The queue at a glance: one card per figure of GET /api/queue/status. */
export class QueueCards {
  readonly el = h('dl', { class: 'cards', 'aria-busy': 'true' });

  update(s: QueueStatus): void {
    this.el.removeAttribute('aria-busy');
    replace(
      this.el,
      cards(s).map((c) =>
        h(
          'div',
          { class: `card${c.tone ? ` card-${c.tone}` : ''}`, 'data-card': c.key },
          h('dt', null, c.label),
          h('dd', null, h('span', { class: 'card-value' }, c.value), h('small', null, c.note)),
        ),
      ),
    );
  }
}
