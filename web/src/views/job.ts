import {
  api,
  type MessageDetail,
  RECIPIENT_STATUSES,
  type RecipientList,
  type SmsEvent,
  UNFINISHED,
} from '../api.js';
import { openDialog } from '../components/dialog.js';
import { ErrorBox } from '../components/errors.js';
import { Pager } from '../components/pager.js';
import { poll } from '../components/poll.js';
import { busy, type Child, field, h, replace } from '../dom.js';
import { count, eta, JOB_STATUS_TEXT, progressBar, statusBadge, time } from '../format.js';
import type { PageFactory } from '../page.js';
import { exportButton } from '../components/export-button.js';

const PER_PAGE = 50;

function facts(m: MessageDetail): HTMLElement {
  const item = (label: string, value: Child, key?: string) =>
    h('div', { 'data-fact': key }, h('dt', null, label), h('dd', null, value));
  return h(
    'dl',
    { class: 'facts' },
    item('Status', statusBadge(m.job_status), 'status'),
    item('Progress', progressBar(m.progress_percent, `Job ${m.id} progress`), 'progress'),
    item('Recipients', count(m.recipient_count), 'recipients'),
    item('Sent', count(m.success_count), 'sent'),
    item('Failed', count(m.failed_count), 'failed'),
    item('Waiting', count(m.pending_count), 'waiting'),
    item('Cancelled', count(m.cancelled_count)),
    item('Send at', time(m.send_at), 'send-at'),
    item(
      'Send window',
      m.send_window
        ? `${m.send_window.start}–${m.send_window.end} ${m.send_window.time_zone}`
        : 'any time',
      'send-window',
    ),
    item('Window opens', time(m.next_window_at), 'next-window'),
    item('Expired', count(m.expired_count), 'expired'),
    item('Valid until', time(m.valid_until), 'valid-until'),
    item('Queue position', m.queue_position ?? '—', 'position'),
    item('Expected start', eta(m.estimated_start_at), 'start'),
    item('Expected done', eta(m.estimated_complete_at), 'eta'),
    item('Encoding', `${m.encoding === 'gsm7' ? 'GSM-7' : 'UCS-2'}, ${m.segments} part(s) per SMS`),
    item('Urgent', m.adhoc ? 'yes' : 'no'),
    item(
      'Template',
      m.template_id ? `#${m.template_id}, version ${m.template_version}` : '—',
      'template',
    ),
    item('Personalised', m.personalised ? 'yes: each recipient’s own text' : 'no', 'personalised'),
    item('Created', time(m.created_at)),
    item('Started', time(m.started_at)),
    item('Last sent', time(m.sent_at)),
    item('Finished', time(m.completed_at)),
  );
}

type Recipient = RecipientList['recipients'][number];

const EVENT_TEXT: Record<string, string> = {
  queued: 'Queued',
  attempt: 'Gateway attempt',
  retry_scheduled: 'Retry scheduled',
  sent: 'Sent',
  failed: 'Failed',
  expired: 'Expired',
  cancelled: 'Cancelled',
  suppressed: 'Suppressed',
  delivered: 'Delivered to the handset',
  undelivered: 'Not delivered',
};

/** The event history of one SMS, oldest first. */
function timeline(r: Recipient, events: SmsEvent[]): HTMLElement {
  return h(
    'div',
    { class: 'timeline', 'data-recipient': r.id },
    h('h3', null, `Timeline of ${r.phone}`),
    events.length === 0
      ? h('p', { class: 'empty' }, 'No events kept for this SMS.')
      : h(
          'ol',
          null,
          events.map((e) =>
            h(
              'li',
              { 'data-event': e.type },
              time(e.at),
              ' ',
              h('strong', null, EVENT_TEXT[e.type] ?? e.type),
              e.attempt ? ` (attempt ${e.attempt})` : '',
              e.detail ? h('span', { class: 'event-detail' }, `: ${e.detail}`) : null,
            ),
          ),
        ),
  );
}

/** The recipients; a personalised job's also with each one's own rendered text. */
function recipientsTable(
  list: RecipientList,
  personalised: boolean,
  onTimeline: (r: Recipient) => void,
): HTMLElement {
  if (list.recipients.length === 0) return h('p', { class: 'empty' }, 'No recipients match.');
  const td = (label: string, ...c: Child[]) => h('td', { 'data-label': label }, ...c);
  const columns = ['Phone', 'Status', 'Attempts', 'Error', 'Sent at', 'History'];
  if (personalised) columns.splice(1, 0, 'Text');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'responsive' },
      h('caption', { class: 'visually-hidden' }, 'Recipients of this job'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        list.recipients.map((r) =>
          h(
            'tr',
            { 'data-recipient-id': r.id },
            h('th', { scope: 'row', 'data-label': 'Phone' }, r.phone),
            personalised && td('Text', h('span', { class: 'content-cell' }, r.content ?? '—')),
            td('Status', statusBadge(r.status)),
            td('Attempts', r.attempts),
            td('Error', r.error_message ?? '—'),
            td('Sent at', time(r.sent_at)),
            td(
              'History',
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'data-key': `timeline-${r.id}`,
                  onclick: () => onTimeline(r),
                },
                'Timeline',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** One job: its figures, text, recipients, and cancel / retry; refreshed every 2 s. */
export const jobPage: PageFactory = (_ctx, [idText]) => {
  const id = Number(idText);
  const errors = new ErrorBox();
  const actionErrors = new ErrorBox();
  const summary = h('div', { class: 'job-summary', 'aria-busy': 'true' }, h('p', null, 'Loading…'));
  const contentBox = h('blockquote', { class: 'sms-text' });
  const recipientsBox = h('div');
  const timelineBox = h('div', { 'aria-live': 'polite' });
  let timelineOf: Recipient | null = null;
  const showTimeline = async (r: Recipient) => {
    timelineOf = r;
    replace(timelineBox, timeline(r, (await api.recipientEvents(id, r.id)).events));
  };
  const notice = h('div', { role: 'status', class: 'result' });
  let page = 1;
  const pager = new Pager('Recipients, pages', (p) => {
    page = p;
    void refresh();
  });
  const statusFilter = h(
    'select',
    { name: 'status' },
    h('option', { value: '' }, 'All'),
    RECIPIENT_STATUSES.map((s) => h('option', { value: s }, JOB_STATUS_TEXT[s] ?? s)),
  );
  statusFilter.addEventListener('change', () => {
    page = 1;
    void refresh();
  });

  const cancelButton = h('button', { type: 'button', class: 'danger' }, 'Cancel job');
  const retryButton = h('button', { type: 'button' }, 'Retry failed recipients');
  const show = (m: MessageDetail) => {
    summary.removeAttribute('aria-busy');
    replace(summary, facts(m));
    contentBox.textContent = m.content;
    cancelButton.disabled = !UNFINISHED.includes(m.job_status);
    retryButton.disabled = m.failed_count === 0;
  };

  async function refresh(): Promise<void> {
    try {
      const [m, list] = await Promise.all([
        api.job(id),
        api.recipients(id, { page, per_page: PER_PAGE, status: statusFilter.value }),
      ]);
      show(m);
      replace(
        recipientsBox,
        recipientsTable(
          list,
          m.personalised,
          (r) => void showTimeline(r).catch((err) => errors.show(err)),
        ),
      );
      if (timelineOf) await showTimeline(timelineOf);
      pager.update(list);
      pager.el.hidden = list.pages <= 1;
      errors.clear();
    } catch (err) {
      errors.show(err);
    }
  }

  cancelButton.addEventListener('click', async () => {
    actionErrors.clear();
    const ok = await openDialog({
      title: `Cancel job #${id}?`,
      body: h(
        'p',
        null,
        'Recipients not sent yet will not be sent. SMS already on their way still arrive.',
      ),
      confirm: 'Cancel job',
      danger: true,
    });
    if (!ok) return;
    try {
      show(await busy(cancelButton, 'Cancelling…', () => api.cancel(id)));
      notice.textContent = `Job #${id} cancelled.`;
      await refresh();
    } catch (err) {
      actionErrors.show(err);
    }
  });
  retryButton.addEventListener('click', async () => {
    actionErrors.clear();
    try {
      show(await busy(retryButton, 'Requeuing…', () => api.retry(id)));
      notice.textContent = `The failed recipients of job #${id} are queued again.`;
      await refresh();
    } catch (err) {
      actionErrors.show(err);
    }
  });

  const el = h(
    'div',
    { class: 'page job' },
    h('p', { class: 'back' }, h('a', { href: '#/' }, '← Dashboard')),
    h('h1', { tabindex: -1 }, `Job #${id}`),
    errors.el,
    summary,
    h('h2', null, 'Text'),
    contentBox,
    h(
      'div',
      { class: 'actions job-actions' },
      cancelButton,
      retryButton,
      exportButton(
        'Export recipients (CSV)',
        `/api/sms/${id}/recipients.csv`,
        `job-${id}-recipients.csv`,
        actionErrors,
      ),
    ),
    actionErrors.el,
    notice,
    h(
      'section',
      { 'aria-labelledby': 'recipients-h', class: 'panel' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'recipients-h' }, 'Recipients'),
        h('div', { class: 'inline-filter' }, field('Status', statusFilter)),
      ),
      recipientsBox,
      pager.el,
      timelineBox,
    ),
  );
  return { title: `Job #${id}`, el, dispose: poll(refresh) };
};
