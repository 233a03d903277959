import { field, h } from '../dom.js';

/**
 * The compose form's send window: the server's default hours, any time, or daily hours in a
 * time zone (SCHEDULING.md).
 */
export class SendWindowFields {
  private readonly mode = h(
    'select',
    { name: 'window_mode' },
    h('option', { value: 'default' }, 'The server’s default hours'),
    h('option', { value: 'always' }, 'Any time'),
    h('option', { value: 'between' }, 'Only between…'),
  );
  private readonly start = h('input', { type: 'time', name: 'window_start', value: '09:00' });
  private readonly end = h('input', { type: 'time', name: 'window_end', value: '21:00' });
  private readonly zone = h('input', {
    type: 'text',
    name: 'window_time_zone',
    'aria-label': 'Time zone of the hours (IANA name)',
    value: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  });
  private readonly hours = h(
    'div',
    { class: 'window-hours', hidden: true },
    this.start,
    ' to ',
    this.end,
    ' in ',
    this.zone,
  );
  readonly el = h(
    'div',
    null,
    field(
      'Send window',
      this.mode,
      'Quiet hours: outside these hours the SMS wait and go on at the next opening. A start after the end wraps midnight (21:00 to 08:00).',
    ),
    this.hours,
  );

  constructor() {
    this.mode.addEventListener('change', () => (this.hours.hidden = this.mode.value !== 'between'));
  }

  /** The send_window field: absent (server default), null (any time) or the hours given. */
  value(): { send_window?: { start: string; end: string; time_zone: string } | null } {
    if (this.mode.value === 'always') return { send_window: null };
    if (this.mode.value !== 'between') return {};
    return {
      send_window: { start: this.start.value, end: this.end.value, time_zone: this.zone.value },
    };
  }
}
