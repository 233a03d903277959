import { api, type Suppression, type SuppressionImport } from '../api.js';
import { openDialog } from '../components/dialog.js';
import { ErrorBox, markFieldErrors, clearFieldErrors } from '../components/errors.js';
import { dataTable, td } from '../components/data-table.js';
import { Pager } from '../components/pager.js';
import { busy, field, formValue, h, replace } from '../dom.js';
import { bytes, count, time } from '../format.js';
import type { PageFactory } from '../page.js';
import { uploadCsv } from '../upload.js';

const PER_PAGE = 50;

/** The import's answer: how many were added, already there, and the rows refused. */
function importSummary(r: SuppressionImport): HTMLElement {
  return h(
    'div',
    { class: 'import-result' },
    h(
      'p',
      null,
      `Imported: ${count(r.added)} added, ${count(r.already)} already on the list, ` +
        `${count(r.invalid_count)} invalid row(s) skipped.`,
    ),
    r.invalid.length > 0 &&
      h(
        'ul',
        { class: 'import-errors' },
        r.invalid.map((e) => h('li', null, `Row ${e.row}: ${e.message}`)),
      ),
  );
}

/**
 * Admin: the suppression list (CONTENT.md, opt-out). Numbers on it are never sent to; adding
 * one, importing a CSV of them, finding one by its first digits, taking one off.
 */
export const suppressionsPage: PageFactory = () => {
  const errors = new ErrorBox();
  const notice = h('div', { role: 'status', class: 'result' });
  const tableBox = h('div', null, h('p', null, 'Loading…'));
  let page = 1;
  let phoneFilter = '';
  const pager = new Pager('Suppressions, pages', (p) => {
    page = p;
    void refresh();
  });

  const addForm = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Suppress a number', novalidate: true },
    field(
      'Phone number',
      h('input', { name: 'phone', required: true, maxlength: 32, autocomplete: 'off' }),
    ),
    field('Reason (optional)', h('input', { name: 'reason', maxlength: 500 })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Suppress')),
  );
  addForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    clearFieldErrors(addForm);
    const button = addForm.querySelector('button[type="submit"]') as HTMLButtonElement;
    const reason = formValue(addForm, 'reason').trim();
    try {
      const s = await busy(button, 'Saving…', () =>
        api.addSuppression({ phone: formValue(addForm, 'phone'), ...(reason ? { reason } : {}) }),
      );
      notice.textContent = `${s.phone} is suppressed: it will not be sent to.`;
      addForm.reset();
      page = 1;
      await refresh();
    } catch (err) {
      errors.show(err);
      if (err instanceof Error && 'details' in err) {
        markFieldErrors(addForm, (err as { details: [] }).details);
      }
    }
  });

  const fileInput = h('input', { type: 'file', name: 'file', accept: '.csv,text/csv' });
  const importButton = h('button', { type: 'button' }, 'Import CSV');
  const importResult = h('div', { 'aria-live': 'polite' });
  importButton.addEventListener('click', async () => {
    errors.clear();
    replace(importResult);
    const file = fileInput.files?.[0];
    if (!file) {
      errors.show(new Error('Choose a CSV file with a phone column first.'));
      return;
    }
    try {
      const r = await busy(importButton, 'Importing…', () =>
        uploadCsv<SuppressionImport>('/api/admin/suppressions/import', {}, file, (p) => {
          importButton.textContent = `Importing… ${bytes(p.sent)} of ${bytes(p.total)}`;
        }),
      );
      replace(importResult, importSummary(r));
      page = 1;
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  });

  const searchForm = h(
    'form',
    { class: 'inline-filter', role: 'search', 'aria-label': 'Find a suppressed number' },
    field('Number starts with', h('input', { type: 'search', name: 'phone', maxlength: 32 })),
    h('button', { type: 'submit', class: 'secondary' }, 'Find'),
  );
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    phoneFilter = formValue(searchForm, 'phone').trim();
    page = 1;
    void refresh();
  });

  const removeButton = (s: Suppression): HTMLButtonElement => {
    const b = h(
      'button',
      { type: 'button', class: 'danger', 'data-key': `remove-${s.phone}` },
      'Remove',
    );
    b.addEventListener('click', async () => {
      const ok = await openDialog({
        title: `Take ${s.phone} off the list?`,
        body: 'SMS submitted from now on, and those still waiting, will be sent to this number again.',
        confirm: 'Remove',
        danger: true,
      });
      if (!ok) return;
      errors.clear();
      try {
        await busy(b, 'Removing…', () => api.removeSuppression(s.phone));
        notice.textContent = `${s.phone} was taken off the list.`;
        await refresh();
      } catch (err) {
        errors.show(err);
      }
    });
    return b;
  };

  async function refresh(): Promise<void> {
    try {
      const list = await api.suppressions({ page, per_page: PER_PAGE, phone: phoneFilter });
      replace(
        tableBox,
        list.suppressions.length === 0
          ? h(
              'p',
              { class: 'empty' },
              phoneFilter ? 'No suppressed number matches.' : 'No number is suppressed.',
            )
          : dataTable(
              'Suppressed numbers',
              ['Phone', 'Reason', 'Added', 'By', 'Action'],
              list.suppressions.map((s) =>
                h(
                  'tr',
                  null,
                  h('th', { scope: 'row', 'data-label': 'Phone' }, s.phone),
                  td('Reason', s.reason ?? '—'),
                  td('Added', time(s.created_at)),
                  td('By', s.created_by ?? h('em', null, 'deleted user')),
                  td('Action', removeButton(s)),
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
    { class: 'page suppressions' },
    h('h1', { tabindex: -1 }, 'Suppression list'),
    h(
      'p',
      { class: 'lead' },
      'Numbers that must not receive SMS (opt-outs). Their recipients are stored as suppressed, at submission and again when an SMS waiting for them is taken.',
    ),
    errors.el,
    notice,
    h(
      'section',
      { class: 'panel', 'aria-label': 'Suppress a number' },
      h('h2', null, 'Add'),
      addForm,
    ),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Import' },
      h('h2', null, 'Import a CSV file'),
      h(
        'p',
        { class: 'hint' },
        'A header line with a phone column (phone, mobile, to…) and, optionally, a reason column.',
      ),
      field('CSV file', fileInput),
      h('div', { class: 'actions' }, importButton),
      importResult,
    ),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Suppressed numbers' },
      searchForm,
      tableBox,
      pager.el,
    ),
  );
  void refresh();
  return { title: 'Suppression list', el };
};
