import { describe, expect, it } from '@jest/globals';
import {
  missingNames,
  normalizeVars,
  parseTemplate,
  PlaceholderError,
  render,
} from './placeholders.js';

describe('parseTemplate', () => {
  it('lists placeholders once, in order of first use, regardless of case', () => {
    const t = parseTemplate('Dear {{Name}}, on {{ date }} at {{time}}; bye {{NAME}}');
    expect(t.placeholders).toEqual(['Name', 'date', 'time']);
  });

  it('keeps single braces and text without placeholders as they are', () => {
    const t = parseTemplate('a {b} c } {');
    expect(t.placeholders).toEqual([]);
    expect(render(t, new Map())).toBe('a {b} c } {');
  });

  it.each([
    ['Hi {{name', 3, 'without a closing'],
    ['Hi name}} there', 7, 'without an opening'],
    ['Hi {{na me}}', 3, 'invalid placeholder name'],
    ['Hi {{1st}}', 3, 'invalid placeholder name'],
    ['Hi {{}}', 3, 'invalid placeholder name'],
    ['{{a {{b}}', 0, 'without a closing'],
    [`{{${'a'.repeat(65)}}}`, 0, 'invalid placeholder name'],
  ])('refuses %j at position %d', (text, position, message) => {
    let err: unknown;
    try {
      parseTemplate(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlaceholderError);
    expect((err as PlaceholderError).position).toBe(position);
    expect((err as PlaceholderError).message).toContain(message);
  });

  it('accepts a 64-character name and a leading underscore', () => {
    expect(parseTemplate(`{{_${'a'.repeat(63)}}}`).placeholders).toHaveLength(1);
  });
});

describe('render', () => {
  it('fills placeholders case-insensitively and reports missing names', () => {
    const t = parseTemplate('Dear {{name}}, {{When}}: {{name}}');
    const vars = normalizeVars({ NAME: 'Chan', other: 1 });
    expect(missingNames(t, vars)).toEqual(['when']);
    expect(render(t, normalizeVars({ name: 'Chan', when: 3 }))).toBe('Dear Chan, 3: Chan');
  });
});
