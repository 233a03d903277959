// The server's own segment counter, bundled as is: the page shows exactly what the API will
// compute for `segments` and `encoding`.
import { analyzeContent } from '../../../src/messages/sms-encoding.js';
import { type Accepted, ApiError, api, type ErrorDetail } from '../api.js';
import { clearFieldErrors, detailText, ErrorBox, markFieldErrors } from '../components/errors.js';
import { busy, checkbox, field, formChecked, h, replace } from '../dom.js';
import { count, eta } from '../format.js';
import { checkRecipients, type RecipientCheck } from '../recipients.js';

/** The API's default SMS_MAX_SEGMENTS: longer texts are refused unless the server allows more. */
const DEFAULT_MAX_SEGMENTS = 10;
const MAX_LISTED = 20;

function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // randomUUID needs a secure context; plain http on a LAN address has only getRandomValues.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** The first character that forces UCS-2, to tell the user why their SMS got shorter. */
function firstUnicodeChar(text: string): string | null {
  for (const ch of text) if (analyzeContent(ch).encoding === 'ucs2') return ch;
  return null;
}

function contentSummary(text: string, recipients: number): { text: string; warn: boolean } {
  const info = analyzeContent(text);
  if (info.segments === 0) return { text: '0 characters', warn: false };
  const chars = [...text].length;
  const encoding =
    info.encoding === 'gsm7'
      ? 'GSM-7'
      : `UCS-2 (Unicode${firstUnicodeChar(text) ? `, because of “${firstUnicodeChar(text)}”` : ''})`;
  const parts = `${info.segments} SMS part${info.segments === 1 ? '' : 's'}`;
  const total =
    recipients > 1
      ? ` × ${count(recipients)} recipients = ${count(info.segments * recipients)} SMS`
      : '';
  const over =
    info.segments > DEFAULT_MAX_SEGMENTS
      ? ` · over the usual limit of ${DEFAULT_MAX_SEGMENTS} parts`
      : '';
  return {
    text: `${count(chars)} characters · ${encoding} · ${parts}${total} · ${info.remainingInSegment} left in this part${over}`,
    warn: info.segments > DEFAULT_MAX_SEGMENTS,
  };
}

function recipientsSummary(check: RecipientCheck): HTMLElement[] {
  const out: HTMLElement[] = [];
  const bits = [`${count(check.valid)} valid number${check.valid === 1 ? '' : 's'}`];
  if (check.duplicates) bits.push(`${check.duplicates} duplicate(s), sent once`);
  if (check.national.length) bits.push(`${check.national.length} without country code`);
  if (check.invalid.length) bits.push(`${check.invalid.length} invalid`);
  if (check.header) bits.push(`header “${check.header}” skipped`);
  out.push(h('p', { class: check.invalid.length ? 'check-bad' : 'check-ok' }, bits.join(' · ')));
  if (check.invalid.length) {
    out.push(
      h(
        'ul',
        { class: 'check-list' },
        check.invalid
          .slice(0, MAX_LISTED)
          .map((i) => h('li', null, `Line ${i.line}: “${i.raw}” ${i.message}`)),
        check.invalid.length > MAX_LISTED &&
          h('li', null, `… and ${check.invalid.length - MAX_LISTED} more`),
      ),
    );
  }
  if (check.national.length) {
    out.push(
      h(
        'p',
        { class: 'check-warn' },
        `Numbers without “+” and a country code (line ${check.national
          .slice(0, 5)
          .map((n) => n.line)
          .join(
            ', ',
          )}${check.national.length > 5 ? ', …' : ''}) are accepted only if the server has a default country.`,
      ),
    );
  }
  return out;
}

/**
 * The compose form: recipients (checked number by number as they are typed), the text with a
 * live GSM-7/UCS-2 segment counter, and the urgent flag. One recipient goes to POST /api/sms,
 * several to POST /api/sms/send-bulk, with an Idempotency-Key so a resubmission after a network
 * failure cannot queue the job twice.
 */
export function composeForm(onSent: (a: Accepted) => void): HTMLElement {
  const recipients = h('textarea', {
    name: 'recipients',
    rows: 6,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: '+852 9123 4567\n+44 7700 900123',
  });
  const recipientsCheck = h('div', {
    class: 'live-check',
    id: 'recipients-check',
    'aria-live': 'polite',
  });
  const content = h('textarea', { name: 'content', rows: 4 });
  const counter = h('p', { class: 'counter', id: 'content-counter', 'aria-live': 'polite' });
  const adhoc = checkbox('adhoc', 'Urgent: send before all other waiting jobs');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const errors = new ErrorBox();
  const result = h('div', { class: 'result', role: 'status' });
  let key: string | null = null;
  let check = checkRecipients('');

  const update = () => {
    check = checkRecipients(recipients.value);
    replace(recipientsCheck, recipients.value.trim() ? recipientsSummary(check) : []);
    const summary = contentSummary(content.value, check.valid + check.national.length);
    counter.textContent = summary.text;
    counter.classList.toggle('warn', summary.warn);
    const n = check.entries.length;
    submit.textContent = n > 1 ? `Send to ${count(n)} recipients` : 'Send';
  };

  const form = h(
    'form',
    { class: 'compose', novalidate: true },
    field(
      'Recipients',
      recipients,
      'One phone number per line in international format (+ and country code), or paste a column from a spreadsheet or CSV file.',
    ),
    recipientsCheck,
    field('Message', content),
    counter,
    adhoc,
    errors.el,
    h('div', { class: 'actions' }, submit),
    result,
  );
  for (const [control, extra] of [
    [recipients, recipientsCheck.id],
    [content, counter.id],
  ] as const) {
    const described = control.getAttribute('aria-describedby');
    control.setAttribute('aria-describedby', described ? `${described} ${extra}` : extra);
  }

  form.addEventListener('input', () => {
    key = null; // a changed request is a new request
    // The last answer no longer describes the form; the live checks take over.
    errors.clear();
    clearFieldErrors(form);
    recipients.removeAttribute('aria-invalid');
    content.removeAttribute('aria-invalid');
    update();
  });

  const lineOf = (d: ErrorDetail): string => {
    const m = /^recipients\[(\d+)\]$/.exec(d.field ?? '');
    const entry = m
      ? check.entries[Number(m[1])]
      : d.field === 'recipient'
        ? check.entries[0]
        : undefined;
    return entry ? `Line ${entry.line}: “${entry.raw}” ${d.message}` : detailText(d);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });

  async function send(): Promise<void> {
    errors.clear();
    clearFieldErrors(form);
    replace(result);
    update();
    const problems: string[] = [];
    let focus: HTMLElement | null = null;
    if (check.entries.length === 0) {
      problems.push('Recipients: enter at least one phone number.');
      focus = recipients;
    }
    for (const i of check.invalid.slice(0, MAX_LISTED)) {
      problems.push(`Line ${i.line}: “${i.raw}” ${i.message}`);
      focus ??= recipients;
    }
    if (!content.value.trim()) {
      problems.push('Message: write the text to send.');
      focus ??= content;
    }
    if (problems.length) {
      errors.message('Please correct the form before sending.', problems);
      focus?.setAttribute('aria-invalid', 'true');
      focus?.focus();
      return;
    }
    recipients.removeAttribute('aria-invalid');
    content.removeAttribute('aria-invalid');
    key ??= newIdempotencyKey();
    const body = { content: content.value, adhoc: formChecked(form, 'adhoc') };
    const entries = check.entries.map((e) => e.raw);
    try {
      const accepted = await busy(submit, 'Sending…', () =>
        entries.length === 1
          ? api.sendOne({ ...body, recipient: entries[0] }, key!)
          : api.sendBulk({ ...body, recipients: entries }, key!),
      );
      key = null;
      const total = accepted.total ?? 1;
      replace(
        result,
        h(
          'p',
          { class: 'success' },
          `Job #${accepted.id} queued: ${count(total)} SMS`,
          accepted.duplicates_removed
            ? ` (${accepted.duplicates_removed} duplicate(s) removed)`
            : '',
          accepted.queue_position ? `, position ${accepted.queue_position} in the queue` : '',
          accepted.estimated_complete_at
            ? [', expected done ', eta(accepted.estimated_complete_at)]
            : '',
          '. ',
          h('a', { href: `#/jobs/${accepted.id}` }, `View job #${accepted.id}`),
        ),
      );
      form.reset();
      update();
      onSent(accepted);
    } catch (err) {
      errors.show(err, lineOf);
      if (err instanceof ApiError) {
        const fields = err.details.map((d) =>
          d.field?.startsWith('recipient') ? { field: 'recipients', message: lineOf(d) } : d,
        );
        // One message per control is enough; the full list is in the alert above.
        const first = new Map<string, ErrorDetail>();
        for (const d of fields) if (d.field && !first.has(d.field)) first.set(d.field, d);
        markFieldErrors(form, [...first.values()]);
      }
    }
  }

  update();
  return form;
}
