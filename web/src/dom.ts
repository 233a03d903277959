/**
 * A tiny DOM builder. Everything is created as elements and text nodes (never innerHTML), so
 * text from the API cannot inject markup, and no inline style attribute is ever written (the
 * page runs under a strict Content-Security-Policy; `el.style.x = …` from script is allowed).
 */

export type Child = Node | string | number | null | undefined | false | Child[];
type Listener = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Listener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      el.className = String(value);
    } else if (name === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces the children of `parent`, keeping keyboard focus: an element carrying `data-key`
 * that had the focus is focused again in the new content when an equal key is found there.
 * This lets tables refresh every 2 s under a keyboard user's feet.
 */
export function replace(parent: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const key =
    active instanceof HTMLElement && parent.contains(active) ? active.dataset.key : undefined;
  parent.replaceChildren();
  append(parent, children);
  if (key) {
    const again = parent.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`);
    again?.focus();
  }
}

let idCounter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form field: label, optional hint, the control, and a slot for its error. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement,
  hint?: Child,
): HTMLDivElement {
  if (!control.id) control.id = uid(control.name || 'field');
  const described: string[] = [];
  let hintEl: HTMLElement | null = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${control.id}-hint` }, hint);
    described.push(hintEl.id);
  }
  if (described.length) control.setAttribute('aria-describedby', described.join(' '));
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), hintEl, control);
}

/** A checkbox with its label after it. */
export function checkbox(name: string, label: string, checked = false): HTMLLabelElement {
  return h(
    'label',
    { class: 'check' },
    h('input', { type: 'checkbox', name, checked }),
    ' ',
    label,
  );
}

export function formValue(form: HTMLFormElement, name: string): string {
  const el = form.elements.namedItem(name);
  return el instanceof HTMLInputElement ||
    el instanceof HTMLTextAreaElement ||
    el instanceof HTMLSelectElement
    ? el.value
    : '';
}

export function formChecked(form: HTMLFormElement, name: string): boolean {
  const el = form.elements.namedItem(name);
  return el instanceof HTMLInputElement && el.checked;
}

/** Disables a button while `work` runs, with a busy label. */
export async function busy<T>(
  button: HTMLButtonElement,
  label: string,
  work: () => Promise<T>,
): Promise<T> {
  const before = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = before;
  }
}
