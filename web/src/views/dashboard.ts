import { api, JOB_STATUSES, type MessageSummary } from '../api.js';
import { ErrorBox } from '../components/errors.js';
import { jobsTable } from '../components/jobs-table.js';
import { Pager } from '../components/pager.js';
import { poll } from '../components/poll.js';
import { QueueCards } from '../components/queue-cards.js';
import { ThroughputChart, WINDOW_SECONDS } from '../components/throughput-chart.js';
import { busy, field, h, replace } from '../dom.js';
import { JOB_STATUS_TEXT, time } from '../format.js';
import type { PageFactory } from '../page.js';
import { composeForm } from './compose.js';

const PER_PAGE = 10;

/** Queue cards, throughput chart, compose form and the user's own jobs; refreshed every 2 s. */
export const dashboardPage: PageFactory = (ctx) => {
  const cards = new QueueCards();
  const chart = new ThroughputChart();
  const errors = new ErrorBox();
  const jobsBox = h('div', { class: 'jobs-box', 'aria-busy': 'true' }, h('p', null, 'Loading…'));
  let page = 1;
  const pager = new Pager('Your jobs, pages', (p) => {
    page = p;
    void refreshJobs();
  });
  const statusFilter = h(
    'select',
    { name: 'job_status' },
    h('option', { value: '' }, 'All'),
    JOB_STATUSES.map((s) => h('option', { value: s }, JOB_STATUS_TEXT[s])),
  );
  statusFilter.addEventListener('change', () => {
    page = 1;
    void refreshJobs();
  });

  /** The caller's jobs waiting for their send_at, soonest first, each with a cancel button. */
  const scheduledBox = h('div', { class: 'jobs-box' });
  const cancelButton = (m: MessageSummary) => {
    const b = h('button', { type: 'button', 'data-key': `cancel-${m.id}` }, 'Cancel');
    b.addEventListener('click', async () => {
      try {
        await busy(b, 'Cancelling…', () => api.cancel(m.id));
        await refreshJobs();
      } catch (err) {
        errors.show(err);
      }
    });
    return [h('span', null, 'at ', time(m.send_at), ' '), b];
  };

  async function refreshScheduled(): Promise<void> {
    const list = await api.listJobs({ page: 1, per_page: 100, job_status: 'scheduled' });
    const soonest = [...list.messages].sort((a, b) =>
      (a.send_at ?? '').localeCompare(b.send_at ?? ''),
    );
    replace(
      scheduledBox,
      soonest.length === 0
        ? h('p', { class: 'empty' }, 'Nothing scheduled.')
        : jobsTable(soonest, {
            caption: 'Your scheduled jobs, soonest first',
            me: ctx.user,
            actions: cancelButton,
          }),
    );
  }

  async function refreshJobs(): Promise<void> {
    await refreshScheduled();
    const list = await api.listJobs({ page, per_page: PER_PAGE, job_status: statusFilter.value });
    jobsBox.removeAttribute('aria-busy');
    replace(
      jobsBox,
      jobsTable(list.messages, { caption: 'Your jobs, newest first', me: ctx.user }),
    );
    pager.update(list);
    pager.el.hidden = list.pages <= 1;
  }

  async function refresh(): Promise<void> {
    try {
      const [status, throughput] = await Promise.all([
        api.queueStatus(),
        api.throughput(WINDOW_SECONDS),
        refreshJobs(),
      ]);
      cards.update(status);
      chart.update(throughput.points);
      errors.clear();
    } catch (err) {
      errors.show(err);
    }
  }

  const el = h(
    'div',
    { class: 'page dashboard' },
    h('h1', { tabindex: -1 }, 'Dashboard'),
    errors.el,
    h('section', { 'aria-labelledby': 'queue-h' }, h('h2', { id: 'queue-h' }, 'Queue'), cards.el),
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'compose-h', class: 'panel' },
        h('h2', { id: 'compose-h' }, 'New SMS'),
        composeForm(ctx, () => void refreshJobs().catch((err: unknown) => errors.show(err))),
      ),
      h(
        'section',
        { 'aria-labelledby': 'chart-h', class: 'panel' },
        h('h2', { id: 'chart-h' }, 'Throughput, last 10 minutes'),
        chart.el,
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'scheduled-h', class: 'panel' },
      h('h2', { id: 'scheduled-h' }, 'Scheduled'),
      scheduledBox,
    ),
    h(
      'section',
      { 'aria-labelledby': 'jobs-h', class: 'panel' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'jobs-h' }, 'Your jobs'),
        h('div', { class: 'inline-filter' }, field('Status', statusFilter)),
      ),
      jobsBox,
      pager.el,
    ),
  );
  const stop = poll(refresh);
  return {
    title: 'Dashboard',
    el,
    dispose: () => {
      stop();
      chart.dispose();
    },
  };
};
