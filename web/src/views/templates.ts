import { ApiError, api, type Template } from '../api.js';
import { openDialog } from '../components/dialog.js';
import { clearFieldErrors, ErrorBox, markFieldErrors } from '../components/errors.js';
import { Pager } from '../components/pager.js';
import { placeholderChips, updatePlaceholderHint } from '../components/placeholder-hint.js';
import { busy, type Child, field, h, replace } from '../dom.js';
import { time, truncate } from '../format.js';
import type { PageFactory } from '../page.js';

const PER_PAGE = 20;
const SEARCH_DELAY_MS = 300;

/** Where a 400 says the text went wrong (`details[].position`, 0-based), to select it. */
function positionOf(err: unknown): number | null {
  if (!(err instanceof ApiError)) return null;
  for (const d of err.details as { field?: string; position?: unknown }[]) {
    if (d.field === 'content' && typeof d.position === 'number') return d.position;
  }
  return null;
}

/** Templates: the caller's texts with {{placeholders}}, created, edited (a new version) and deleted. */
export const templatesPage: PageFactory = () => {
  const errors = new ErrorBox();
  const formErrors = new ErrorBox();
  const notice = h('div', { role: 'status', class: 'result' });
  const listBox = h('div', { 'aria-busy': 'true' }, h('p', null, 'Loading…'));
  let page = 1;
  let editing: Template | null = null;
  const pager = new Pager('Templates, pages', (p) => {
    page = p;
    void refresh();
  });

  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100 });
  const content = h('textarea', { name: 'content', rows: 4, required: true, maxlength: 10_000 });
  const hint = h('p', { class: 'counter', id: 'template-placeholders', 'aria-live': 'polite' });
  content.setAttribute('aria-describedby', hint.id);
  const formHead = h('h2', { id: 'template-form-h' }, 'New template');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create template');
  const cancelEdit = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel');
  const form = h(
    'form',
    { class: 'template-form', novalidate: true },
    field('Name', name),
    field(
      'Text',
      content,
      'Placeholders are written {{name}}: a letter or _, then letters, digits or _. Each recipient gets its own values (a CSV column of the same name).',
    ),
    hint,
    formErrors.el,
    h('div', { class: 'actions' }, submit, cancelEdit),
  );

  const setMode = (t: Template | null) => {
    editing = t;
    formErrors.clear();
    clearFieldErrors(form);
    name.value = t?.name ?? '';
    content.value = t?.content ?? '';
    formHead.textContent = t ? `Edit “${t.name}” (version ${t.version})` : 'New template';
    submit.textContent = t ? `Save as version ${t.version + 1}` : 'Create template';
    cancelEdit.hidden = !t;
    updatePlaceholderHint(hint, content.value);
  };
  cancelEdit.addEventListener('click', () => setMode(null));
  content.addEventListener('input', () => updatePlaceholderHint(hint, content.value));
  form.addEventListener('input', () => {
    formErrors.clear();
    clearFieldErrors(form);
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    formErrors.clear();
    notice.textContent = '';
    const body = { name: name.value.trim(), content: content.value };
    try {
      const saved = await busy(submit, 'Saving…', () =>
        editing ? api.updateTemplate(editing.id, body) : api.createTemplate(body),
      );
      notice.textContent = editing
        ? `Template “${saved.name}” saved: version ${saved.version}.`
        : `Template “${saved.name}” created.`;
      setMode(null);
      await refresh();
    } catch (err) {
      formErrors.show(err);
      if (err instanceof ApiError) markFieldErrors(form, err.details)?.focus();
      const at = positionOf(err);
      if (at !== null) content.setSelectionRange(at, Math.min(content.value.length, at + 2));
    }
  });

  const search = h('input', { type: 'search', name: 'q', maxlength: 100, autocomplete: 'off' });
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      page = 1;
      void refresh();
    }, SEARCH_DELAY_MS);
  });

  const remove = async (t: Template, button: HTMLButtonElement) => {
    const ok = await openDialog({
      title: `Delete template “${t.name}”?`,
      body: h('p', null, 'Jobs already made from it keep their text.'),
      confirm: 'Delete template',
      danger: true,
    });
    if (!ok) return;
    errors.clear();
    try {
      await busy(button, 'Deleting…', () => api.deleteTemplate(t.id));
      if (editing?.id === t.id) setMode(null);
      notice.textContent = `Template “${t.name}” deleted.`;
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  };

  const row = (t: Template) => {
    const td = (label: string, ...c: Child[]) => h('td', { 'data-label': label }, ...c);
    const button = (
      text: string,
      key: string,
      cls: string,
      onclick: (b: HTMLButtonElement) => void,
    ) => {
      const b = h('button', { type: 'button', class: cls, 'data-key': `${key}-${t.id}` }, text);
      b.addEventListener('click', () => onclick(b));
      return b;
    };
    return h(
      'tr',
      { 'data-template': t.id },
      h(
        'th',
        { scope: 'row', 'data-label': 'Name' },
        t.name,
        h('div', { class: 'hint template-text' }, truncate(t.content, 120)),
      ),
      td('Placeholders', placeholderChips(t.placeholders)),
      td('Version', h('span', { 'data-version': t.version }, t.version)),
      td('Updated', time(t.updated_at)),
      td(
        'Actions',
        h(
          'div',
          { class: 'row-actions' },
          button('Edit', 'edit', 'secondary', () => {
            setMode(t);
            name.focus();
          }),
          button('Delete', 'delete', 'danger', (b) => void remove(t, b)),
        ),
      ),
    );
  };

  async function refresh(): Promise<void> {
    try {
      const list = await api.templates({ page, per_page: PER_PAGE, q: search.value.trim() });
      listBox.removeAttribute('aria-busy');
      replace(
        listBox,
        list.templates.length === 0
          ? h(
              'p',
              { class: 'empty' },
              search.value.trim() ? 'No template matches.' : 'No templates yet: write one above.',
            )
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'responsive templates' },
                h('caption', { class: 'visually-hidden' }, 'Your templates, newest first'),
                h(
                  'thead',
                  null,
                  h(
                    'tr',
                    null,
                    ['Name', 'Placeholders', 'Version', 'Updated', 'Actions'].map((c) =>
                      h('th', { scope: 'col' }, c),
                    ),
                  ),
                ),
                h('tbody', null, list.templates.map(row)),
              ),
            ),
      );
      pager.update(list);
      pager.el.hidden = list.pages <= 1;
      errors.clear();
    } catch (err) {
      errors.show(err);
    }
  }

  setMode(null);
  void refresh();
  const el = h(
    'div',
    { class: 'page templates' },
    h('h1', { tabindex: -1 }, 'Templates'),
    h(
      'p',
      { class: 'lead' },
      'Texts with {{placeholders}}, filled in for each recipient from a CSV file when you send.',
    ),
    h('section', { class: 'panel', 'aria-labelledby': formHead.id }, formHead, form),
    errors.el,
    notice,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'templates-h' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'templates-h' }, 'Your templates'),
        h('div', { class: 'inline-filter' }, field('Search', search)),
      ),
      listBox,
      pager.el,
    ),
  );
  return { title: 'Templates', el, dispose: () => clearTimeout(searchTimer) };
};
