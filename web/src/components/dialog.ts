import { type Child, h } from '../dom.js';

export interface DialogOptions {
  title: string;
  body: Child;
  confirm: string;
  /** Styles the confirm button as destructive. */
  danger?: boolean;
}

/**
 * A modal <dialog>: focus moves into it and stays there, Escape closes it, and focus returns to
 * the control that opened it. Resolves with the form's data on confirm, null on cancel.
 */
export function openDialog(opts: DialogOptions): Promise<FormData | null> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = `dialog-title-${Date.now()}`;
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: titleId }, opts.title),
    h('div', { class: 'dialog-body' }, opts.body),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', value: 'cancel', class: 'secondary' }, 'Cancel'),
      h(
        'button',
        { type: 'submit', value: 'ok', class: opts.danger ? 'danger' : '' },
        opts.confirm,
      ),
    ),
  );
  const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let result: FormData | null = null;
    form.querySelector('button[value="cancel"]')!.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      if (!form.reportValidity()) {
        event.preventDefault();
        return;
      }
      result = new FormData(form);
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(result);
    });
    dialog.showModal();
  });
}
