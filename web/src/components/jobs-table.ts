import type { MessageSummary, SessionUser } from '../api.js';
import { type Child, h } from '../dom.js';
import { count, eta, progressBar, statusBadge, time, truncate } from '../format.js';

export interface JobsTableOptions {
  caption: string;
  me: SessionUser;
  /** Admin listing: adds the owner column. */
  owner?: boolean;
  /** Extra cells at the end of each row (e.g. cancel / retry buttons). */
  actions?: (m: MessageSummary) => Child;
}

/** A cell that carries its column name, shown before the value on narrow screens. */
const td = (label: string, ...children: Child[]) => h('td', { 'data-label': label }, ...children);

export function jobLink(m: MessageSummary, me: SessionUser): Child {
  // GET /api/sms/:id answers only to the job's owner.
  const mine = m.user_id === undefined || m.user_id === me.id;
  return mine
    ? h('a', { href: `#/jobs/${m.id}`, 'data-key': `job-${m.id}` }, `#${m.id}`)
    : `#${m.id}`;
}

export function jobsTable(messages: MessageSummary[], opts: JobsTableOptions): HTMLElement {
  if (messages.length === 0) return h('p', { class: 'empty' }, 'No jobs yet.');
  const headers = [
    'Job',
    opts.owner && 'Owner',
    'Message',
    'Status',
    'Progress',
    'Recipients',
    'Queue position',
    'Expected done',
    'Created',
    opts.actions && 'Actions',
  ].filter((x): x is string => Boolean(x));
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'jobs responsive' },
      h('caption', { class: 'visually-hidden' }, opts.caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        messages.map((m) =>
          h(
            'tr',
            { 'data-job-id': m.id },
            h(
              'th',
              { scope: 'row', 'data-label': 'Job' },
              jobLink(m, opts.me),
              m.adhoc && h('span', { class: 'tag' }, 'urgent'),
            ),
            opts.owner && td('Owner', m.owner_username ?? h('em', null, 'deleted user')),
            td(
              'Message',
              h('span', { class: 'content-cell', title: m.content }, truncate(m.content, 80)),
            ),
            td('Status', statusBadge(m.job_status)),
            td('Progress', progressBar(m.progress_percent, `Job ${m.id} progress`)),
            td('Recipients', count(m.recipient_count)),
            td('Queue position', m.queue_position ?? '—'),
            td('Expected done', eta(m.estimated_complete_at)),
            td('Created', time(m.created_at)),
            opts.actions && td('Actions', h('span', { class: 'row-actions' }, opts.actions(m))),
          ),
        ),
      ),
    ),
  );
}
