import { ApiError, type ErrorDetail } from '../api.js';
import { h, replace } from '../dom.js';

/** The text of one `error.details` entry: "recipients[2] (“+1”): is too short …". */
export function detailText(d: ErrorDetail): string {
  const value =
    d.value === undefined || typeof d.value === 'object' ? '' : ` (“${String(d.value)}”)`;
  return d.field ? `${d.field}${value}: ${d.message}` : `${d.message}${value}`;
}

/**
 * A region that shows what went wrong (role=alert, so screen readers hear it at once): the
 * API's `error.message`, then every entry of `error.details`, then the error code and request id
 * in small print for support.
 */
export class ErrorBox {
  readonly el = h('div', { class: 'error-box', role: 'alert', hidden: true });

  show(err: unknown, describeDetail: (d: ErrorDetail) => string = detailText): void {
    const e =
      err instanceof ApiError
        ? err
        : new ApiError(0, 'CLIENT_ERROR', err instanceof Error ? err.message : String(err));
    const shown = e.details.slice(0, 50);
    replace(
      this.el,
      h('p', { class: 'error-message' }, e.message),
      shown.length > 0 &&
        h(
          'ul',
          { class: 'error-details' },
          shown.map((d) => h('li', null, describeDetail(d))),
          e.details.length > shown.length &&
            h('li', null, `… and ${e.details.length - shown.length} more`),
        ),
      e.status > 0 &&
        h(
          'p',
          { class: 'error-code' },
          `${e.code} (HTTP ${e.status})`,
          e.requestId ? ` · request id ${e.requestId}` : '',
        ),
    );
    this.el.hidden = false;
  }

  /** A plain message (validation done in the page). */
  message(text: string, items: string[] = []): void {
    replace(
      this.el,
      h('p', { class: 'error-message' }, text),
      items.length > 0 &&
        h(
          'ul',
          { class: 'error-details' },
          items.map((t) => h('li', null, t)),
        ),
    );
    this.el.hidden = false;
  }

  clear(): void {
    this.el.hidden = true;
    this.el.replaceChildren();
  }
}

/**
 * Marks the form controls named in `details[].field` as invalid and writes the message under
 * each, wired with aria-describedby; returns the first such control (to focus it).
 */
export function markFieldErrors(form: HTMLFormElement, details: ErrorDetail[]): HTMLElement | null {
  clearFieldErrors(form);
  let first: HTMLElement | null = null;
  for (const d of details) {
    if (!d.field) continue;
    const control = form.elements.namedItem(d.field);
    if (!(control instanceof HTMLElement)) continue;
    const msg = h('p', { class: 'field-error', id: `${control.id}-error` }, d.message);
    control.setAttribute('aria-invalid', 'true');
    const described = control.getAttribute('aria-describedby') ?? '';
    control.setAttribute('aria-describedby', `${described} ${msg.id}`.trim());
    control.insertAdjacentElement('afterend', msg);
    first ??= control;
  }
  return first;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const msg of Array.from(form.querySelectorAll('.field-error'))) {
    const control = form.querySelector(`[aria-describedby~="${msg.id}"]`);
    if (control) {
      const rest = (control.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter((id) => id && id !== msg.id);
      if (rest.length) control.setAttribute('aria-describedby', rest.join(' '));
      else control.removeAttribute('aria-describedby');
      control.removeAttribute('aria-invalid');
    }
    msg.remove();
  }
}
