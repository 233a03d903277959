import type { Query } from '../api.js';
import { busy, h } from '../dom.js';
import { downloadCsv } from '../download.js';
import type { ErrorBox } from './errors.js';

/** A button that downloads a CSV export; `query` is read at click time (current filters). */
export function exportButton(
  label: string,
  path: string,
  filename: string,
  errors: ErrorBox,
  query: () => Query = () => ({}),
): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'secondary export' }, label);
  b.addEventListener('click', async () => {
    errors.clear();
    try {
      await busy(b, 'Exporting…', () => downloadCsv(path, query(), filename));
    } catch (err) {
      errors.show(err);
    }
  });
  return b;
}
