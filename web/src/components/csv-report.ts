import type { CsvReport } from '../api.js';
import { type Child, h } from '../dom.js';
import { count, eta } from '../format.js';

const SHOWN_ERRORS = 100;

function table(caption: string, cls: string, head: string[], rows: HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: `responsive ${cls}` },
      h('caption', null, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          head.map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}

/**
 * A CSV upload's dry-run report (POST /api/sms/send-csv?dry_run=true): its figures, the first
 * rows rendered, and the invalid rows by row number (the header is row 1) and column.
 */
export function csvReport(r: CsvReport): HTMLElement {
  const item = (label: string, value: Child, key: string) =>
    h('div', { 'data-fact': key }, h('dt', null, label), h('dd', null, value));
  const td = (label: string, ...c: Child[]) => h('td', { 'data-label': label }, ...c);
  const shown = r.errors.slice(0, SHOWN_ERRORS);
  return h(
    'div',
    { class: 'csv-report' },
    h(
      'dl',
      { class: 'facts' },
      item('Rows', count(r.rows), 'rows'),
      item('Valid', count(r.valid), 'valid'),
      item('Invalid', count(r.invalid), 'invalid'),
      item('Duplicates removed', count(r.duplicates_removed), 'duplicates'),
      item('Suppressed', count(r.suppressed), 'suppressed'),
      item('SMS parts in all', count(r.total_segments), 'segments'),
      item(
        'Encoding',
        `${count(r.encoding_counts.gsm7)} GSM-7, ${count(r.encoding_counts.ucs2)} UCS-2`,
        'encoding',
      ),
      item('Expected done', eta(r.estimated_complete_at), 'estimate'),
    ),
    r.errors.length > 0 &&
      table(
        `Invalid rows (${count(r.invalid)})`,
        'csv-errors',
        ['Row', 'Column', 'Problem'],
        [
          ...shown.map((e) =>
            h(
              'tr',
              { 'data-row': e.row },
              h('th', { scope: 'row', 'data-label': 'Row' }, `Row ${e.row}`),
              td('Column', e.column ?? '—'),
              td('Problem', e.message),
            ),
          ),
          ...(r.invalid > shown.length
            ? [
                h(
                  'tr',
                  null,
                  h('td', { colspan: 3 }, `… and ${count(r.invalid - shown.length)} more`),
                ),
              ]
            : []),
        ],
      ),
    r.preview.length > 0 &&
      table(
        `Preview: the first ${r.preview.length} row(s) as sent`,
        'csv-preview',
        ['Row', 'Phone', 'Text', 'Parts'],
        r.preview.map((p) =>
          h(
            'tr',
            { 'data-row': p.row },
            h('th', { scope: 'row', 'data-label': 'Row' }, `Row ${p.row}`),
            td('Phone', p.phone),
            td('Text', h('span', { class: 'content-cell' }, p.content)),
            td('Parts', p.segments),
          ),
        ),
      ),
  );
}
