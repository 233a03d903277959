import { api, type DeadLetter } from '../api.js';
import { ErrorBox } from '../components/errors.js';
import { dataTable, td } from '../components/data-table.js';
import { Pager } from '../components/pager.js';
import { busy, h, replace } from '../dom.js';
import { time } from '../format.js';
import type { PageFactory } from '../page.js';

const PER_PAGE = 50;

/** Admin: recipients that finally failed, with a retry of their job. */
export const deadLettersPage: PageFactory = (ctx) => {
  const errors = new ErrorBox();
  const notice = h('div', { role: 'status', class: 'result' });
  const tableBox = h('div', null, h('p', null, 'Loading…'));
  let page = 1;
  const pager = new Pager('Dead letters, pages', (p) => {
    page = p;
    void refresh();
  });

  const retry = (d: DeadLetter): HTMLButtonElement => {
    const b = h(
      'button',
      { type: 'button', 'data-key': `retry-${d.id}` },
      `Retry job #${d.message_id}`,
    );
    b.addEventListener('click', async () => {
      errors.clear();
      notice.textContent = '';
      try {
        const m = await busy(b, 'Requeuing…', () => api.retry(d.message_id));
        notice.textContent = `Job #${m.id}: ${m.pending_count} recipient(s) queued again.`;
        await refresh();
      } catch (err) {
        errors.show(err);
      }
    });
    return b;
  };

  async function refresh(): Promise<void> {
    try {
      const list = await api.deadLetters({ page, per_page: PER_PAGE });
      replace(
        tableBox,
        list.recipients.length === 0
          ? h(
              'p',
              { class: 'empty' },
              'No dead letters: every SMS that failed for good is listed here.',
            )
          : dataTable(
              'Recipients that finally failed',
              ['Phone', 'Job', 'Owner', 'Attempts', 'Error', 'Failed at', 'Action'],
              list.recipients.map((d) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row', 'data-label': 'Phone' }, d.phone),
                  td(
                    'Job',
                    d.owner_id === ctx.user.id
                      ? h('a', { href: `#/jobs/${d.message_id}` }, `#${d.message_id}`)
                      : `#${d.message_id}`,
                  ),
                  td('Owner', d.owner_username ?? h('em', null, 'deleted user')),
                  td('Attempts', d.attempts),
                  td('Error', d.error_message ?? '—'),
                  td('Failed at', time(d.failed_at)),
                  td('Action', retry(d)),
                ),
              ),
            ),
      );
      pager.update(list);
      pager.el.hidden = list.pages <= 1;
    } catch (err) {
      errors.show(err);
    }
  }

  const el = h(
    'div',
    { class: 'page dead-letters' },
    h('h1', { tabindex: -1 }, 'Dead letters'),
    h(
      'p',
      { class: 'lead' },
      'SMS that failed after all their attempts. Retrying a job queues all its failed recipients again.',
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh'),
    ),
    errors.el,
    notice,
    h('section', { class: 'panel', 'aria-label': 'Dead letters' }, tableBox, pager.el),
  );
  void refresh();
  return { title: 'Dead letters', el };
};
