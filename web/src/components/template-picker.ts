import { normalizeVars, render } from '../../../src/templates/placeholders.js';
import { api, type Template } from '../api.js';
import { h, replace, uid } from '../dom.js';
import { contentSummary } from './content-summary.js';
import { tryParse } from './placeholder-hint.js';

/**
 * The compose form's choice of text: "write it" or one of the caller's templates. A chosen
 * template shows a small input per placeholder and the text rendered live with those values
 * (what pasted numbers are sent; a CSV file's columns take their place), with its segments.
 */
export class TemplatePicker {
  readonly select = h(
    'select',
    { name: 'template_id' },
    h('option', { value: '' }, 'None: write the text'),
  );
  private readonly values = h('div', { class: 'sample-values' });
  private readonly preview = h('blockquote', { class: 'sms-text', id: 'template-preview' });
  private readonly counter = h('p', {
    class: 'counter',
    id: 'template-counter',
    'aria-live': 'polite',
  });
  readonly panel = h(
    'div',
    { class: 'template-panel', hidden: true },
    this.values,
    h('p', { class: 'hint' }, 'Preview:'),
    this.preview,
    this.counter,
  );
  private templates: Template[] = [];
  private recipients = 1;
  private shown = true;

  constructor(private readonly onChange: () => void) {
    this.select.addEventListener('change', () => {
      this.build();
      this.onChange();
    });
  }

  /** Loads the caller's templates (the first 100, newest first) into the list. */
  async load(): Promise<void> {
    const list = await api.templates({ page: 1, per_page: 100 });
    const chosen = this.select.value;
    this.templates = list.templates;
    replace(
      this.select,
      h('option', { value: '' }, 'None: write the text'),
      list.templates.map((t) => h('option', { value: t.id }, `${t.name} (v${t.version})`)),
    );
    this.select.value = list.templates.some((t) => String(t.id) === chosen) ? chosen : '';
    this.build();
  }

  get chosen(): Template | null {
    return this.templates.find((t) => String(t.id) === this.select.value) ?? null;
  }

  /** The values typed for each placeholder, by its name as written in the template. */
  get vars(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const input of Array.from(this.values.querySelectorAll('input'))) {
      if (input.value !== '') out[input.dataset.sample!] = input.value;
    }
    return out;
  }

  /** The placeholders without a value typed. */
  get unfilled(): string[] {
    return (this.chosen?.placeholders ?? []).filter((p) => !(p in this.vars));
  }

  /** Whether the values and preview show (a CSV file's report shows its own rows instead). */
  set valuesShown(on: boolean) {
    this.shown = on;
    this.panel.hidden = !this.chosen || !on;
  }

  /** Counts for this many recipients in the preview's summary. */
  setRecipients(n: number): void {
    this.recipients = n;
    this.renderPreview();
  }

  reset(): void {
    this.select.value = '';
    this.build();
  }

  private build(): void {
    const t = this.chosen;
    this.panel.hidden = !t || !this.shown;
    replace(
      this.values,
      t && t.placeholders.length > 0
        ? h(
            'fieldset',
            null,
            h('legend', null, 'Values for pasted numbers (a CSV file’s columns replace them)'),
            t.placeholders.map((p) => {
              const input = h('input', {
                type: 'text',
                id: uid('sample'),
                'data-sample': p,
                autocomplete: 'off',
              });
              input.addEventListener('input', () => this.renderPreview());
              return h('div', { class: 'sample' }, h('label', { for: input.id }, p), input);
            }),
          )
        : null,
    );
    this.renderPreview();
  }

  private renderPreview(): void {
    const t = this.chosen;
    if (!t) return;
    const parsed = tryParse(t.content);
    if ('problem' in parsed) {
      this.preview.textContent = t.content;
      this.counter.textContent = parsed.problem;
      return;
    }
    const vars = this.vars;
    // An empty value is shown as its placeholder, so what is still to fill stays visible.
    for (const p of t.placeholders) vars[p] ??= `{{${p}}}`;
    const text = render(parsed.parsed, normalizeVars(vars));
    this.preview.textContent = text;
    const summary = contentSummary(text, this.recipients);
    this.counter.textContent = summary.text;
    this.counter.classList.toggle('warn', summary.warn);
  }
}
