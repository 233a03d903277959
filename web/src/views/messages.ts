import { exportButton } from '../components/export-button.js';
import { api, JOB_STATUSES, type MessageSummary, type Query, UNFINISHED } from '../api.js';
import { ErrorBox } from '../components/errors.js';
import { jobsTable } from '../components/jobs-table.js';
import { Pager } from '../components/pager.js';
import { poll } from '../components/poll.js';
import { busy, type Child, field, formValue, h, replace } from '../dom.js';
import { isoFromLocal, JOB_STATUS_TEXT } from '../format.js';
import type { PageFactory } from '../page.js';

const PER_PAGE = 20;

/** A datetime-local value (local time) as ISO-8601 UTC, or undefined. */
/** Admin: every user's jobs, filtered by owner, status, dates and text; refreshed every 2 s. */
export const messagesPage: PageFactory = (ctx) => {
  const errors = new ErrorBox();
  const actionErrors = new ErrorBox();
  const notice = h('div', { role: 'status', class: 'result' });
  const tableBox = h('div', null, h('p', null, 'Loading…'));
  let page = 1;
  let filters: Query = {};
  const pager = new Pager('Messages, pages', (p) => {
    page = p;
    void refresh();
  });

  const owner = h('select', { name: 'user_id' }, h('option', { value: '' }, 'Everyone'));
  void api
    .users({ per_page: 100 })
    .then((list) =>
      owner.append(...list.users.map((u) => h('option', { value: u.id }, u.username))),
    )
    .catch((err: unknown) => errors.show(err));

  const filterForm = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter messages' },
    field('Owner', owner),
    field(
      'Status',
      h(
        'select',
        { name: 'job_status' },
        h('option', { value: '' }, 'All'),
        JOB_STATUSES.map((s) => h('option', { value: s }, JOB_STATUS_TEXT[s])),
      ),
    ),
    field('Created from', h('input', { type: 'datetime-local', name: 'from' })),
    field('Created until', h('input', { type: 'datetime-local', name: 'to' })),
    field('Text contains', h('input', { type: 'search', name: 'q', maxlength: 200 })),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('button', { type: 'reset', class: 'secondary' }, 'Clear'),
    ),
  );
  const readFilters = () => {
    filters = {
      user_id: formValue(filterForm, 'user_id'),
      job_status: formValue(filterForm, 'job_status'),
      from: isoFromLocal(formValue(filterForm, 'from')),
      to: isoFromLocal(formValue(filterForm, 'to')),
      q: formValue(filterForm, 'q').trim(),
    };
    page = 1;
    void refresh();
  };
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    readFilters();
  });
  // After the reset has cleared the controls.
  filterForm.addEventListener('reset', () => setTimeout(readFilters));

  const jobAction = (
    label: string,
    busyLabel: string,
    m: MessageSummary,
    run: () => Promise<unknown>,
    done: string,
  ): HTMLButtonElement => {
    const b = h('button', { type: 'button', 'data-key': `${label}-${m.id}` }, label);
    b.addEventListener('click', async () => {
      actionErrors.clear();
      notice.textContent = '';
      try {
        await busy(b, busyLabel, run);
        notice.textContent = done;
        await refresh();
      } catch (err) {
        actionErrors.show(err);
      }
    });
    return b;
  };

  const actions = (m: MessageSummary): Child => [
    UNFINISHED.includes(m.job_status) &&
      jobAction('Cancel', 'Cancelling…', m, () => api.cancel(m.id), `Job #${m.id} cancelled.`),
    (m.job_status === 'failed' || m.job_status === 'partial') &&
      jobAction(
        'Retry',
        'Requeuing…',
        m,
        () => api.retry(m.id),
        `Failed recipients of job #${m.id} queued again.`,
      ),
  ];

  async function refresh(): Promise<void> {
    try {
      const list = await api.allMessages({ ...filters, page, per_page: PER_PAGE });
      replace(
        tableBox,
        jobsTable(list.messages, {
          caption: "All users' jobs, newest first",
          me: ctx.user,
          owner: true,
          actions,
        }),
      );
      pager.update(list);
      pager.el.hidden = list.pages <= 1;
      errors.clear();
    } catch (err) {
      errors.show(err);
    }
  }

  const el = h(
    'div',
    { class: 'page messages' },
    h('h1', { tabindex: -1 }, 'All messages'),
    h('section', { class: 'panel', 'aria-label': 'Filters' }, filterForm),
    h(
      'div',
      { class: 'actions' },
      exportButton(
        'Export CSV (these filters)',
        '/api/admin/messages.csv',
        'messages.csv',
        errors,
        () => filters,
      ),
    ),
    errors.el,
    actionErrors.el,
    notice,
    h('section', { class: 'panel', 'aria-label': 'Messages' }, tableBox, pager.el),
  );
  return { title: 'All messages', el, dispose: poll(refresh) };
};
