import { h, replace } from '../dom.js';

/** Previous / next page buttons with "Page 2 of 5 (93 in all)". */
export class Pager {
  readonly el = h('nav', { class: 'pager' });
  page = 1;

  constructor(
    label: string,
    private readonly go: (page: number) => void,
  ) {
    this.el.setAttribute('aria-label', label);
  }

  update(p: { total: number; pages: number; current_page: number }): void {
    this.page = p.current_page;
    const pages = Math.max(1, p.pages);
    replace(
      this.el,
      h(
        'button',
        {
          type: 'button',
          'data-key': 'prev',
          disabled: p.current_page <= 1,
          onclick: () => this.go(p.current_page - 1),
        },
        '← Previous',
      ),
      h('span', { class: 'pager-info' }, `Page ${p.current_page} of ${pages} (${p.total} in all)`),
      h(
        'button',
        {
          type: 'button',
          'data-key': 'next',
          disabled: p.current_page >= pages,
          onclick: () => this.go(p.current_page + 1),
        },
        'Next →',
      ),
    );
  }
}
