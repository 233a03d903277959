import { type Child, h } from '../dom.js';

/** A data cell that names its column, for the phone-width layout (rows become cards). */
export const td = (label: string, ...c: Child[]): HTMLTableCellElement =>
  h('td', { 'data-label': label }, ...c);

/** A responsive table: a hidden caption, a header row of `columns`, then `rows`. */
export function dataTable(caption: string, columns: string[], rows: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'responsive' },
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}
