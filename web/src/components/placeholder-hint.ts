// The server's own placeholder parser, bundled as is: the page lists exactly the names the API
// will find, and warns of the same brace problems before anything is saved.
import { type ParsedTemplate, parseTemplate } from '../../../src/templates/placeholders.js';
import { h, replace } from '../dom.js';

/** The parsed text, or the parser's problem (its message already names the position). */
export function tryParse(text: string): { parsed: ParsedTemplate } | { problem: string } {
  try {
    return { parsed: parseTemplate(text) };
  } catch (e) {
    return { problem: e instanceof Error ? e.message : String(e) };
  }
}

/** Placeholder names as chips: {{name}} {{date}}. */
export function placeholderChips(names: readonly string[]): HTMLElement {
  return names.length === 0
    ? h('span', { class: 'hint' }, 'none')
    : h(
        'span',
        { class: 'placeholders' },
        names.map((n) =>
          h('code', { class: 'placeholder-chip', 'data-placeholder': n }, `{{${n}}}`),
        ),
      );
}

/** A live line under a template's text: the placeholders it has, or why it would be refused. */
export function updatePlaceholderHint(el: HTMLElement, text: string): void {
  const result = tryParse(text);
  el.classList.toggle('check-bad', 'problem' in result);
  replace(
    el,
    'problem' in result
      ? `Will be refused: ${result.problem}`
      : ['Placeholders: ', placeholderChips(result.parsed.placeholders)],
  );
}
