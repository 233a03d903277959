import { type Accepted, ApiError, api, type ErrorDetail, type Query } from '../api.js';
import { contentSummary } from '../components/content-summary.js';
import { CsvUpload } from '../components/csv-upload.js';
import { clearFieldErrors, detailText, ErrorBox, markFieldErrors } from '../components/errors.js';
import { MAX_LISTED, recipientsSummary } from '../components/recipients-summary.js';
import { SendWindowFields } from '../components/send-window.js';
import { TemplatePicker } from '../components/template-picker.js';
import { busy, checkbox, field, formChecked, h, replace } from '../dom.js';
import { count, eta, isoFromLocal, time } from '../format.js';
import type { PageContext } from '../page.js';
import { checkRecipients } from '../recipients.js';

/** Typing in the text waits this long before the CSV file is checked again. */
const RECHECK_DELAY_MS = 500;

function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // randomUUID needs a secure context; plain http on a LAN address has only getRandomValues.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
}

/** A CSV error detail (send-csv's 400) with its row number; any other as usual. */
function rowOf(d: ErrorDetail): string {
  const row = (d as { row?: unknown }).row;
  return typeof row === 'number' ? `Row ${row}, ${d.field}: ${d.message}` : detailText(d);
}

/**
 * The compose form: recipients (checked number by number as they are typed) or a CSV file
 * (checked by a dry run whose report shows before Send), the text written (with a live
 * GSM-7/UCS-2 segment counter) or a template (rendered live), and the urgent lane (offered
 * only to callers who may use it: admins and users with can_send_urgent). One recipient goes
 * to POST /api/sms, several to POST /api/sms/send-bulk, with an Idempotency-Key so a
 * resubmission after a network failure cannot queue the job twice; a CSV file to
 * POST /api/sms/send-csv, then to the job's page.
 */
export function composeForm(ctx: PageContext, onSent: (a: Accepted) => void): HTMLElement {
  const { user } = ctx;
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
  const recipientsField = h(
    'div',
    null,
    field(
      'Recipients',
      recipients,
      'One phone number per line in international format (+ and country code), or paste a column from a spreadsheet.',
    ),
    recipientsCheck,
  );
  const content = h('textarea', { name: 'content', rows: 4 });
  const counter = h('p', { class: 'counter', id: 'content-counter', 'aria-live': 'polite' });
  const contentField = h('div', null, field('Message', content), counter);
  const mayUrgent = user.is_admin || user.can_send_urgent;
  const urgent = mayUrgent && checkbox('urgent', 'Urgent: send before every normal SMS waiting');
  const sendAt = h('input', { type: 'datetime-local', name: 'send_at', step: 60 });
  const sendWindow = new SendWindowFields();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const blockedNote = h('p', { class: 'check-bad', id: 'send-blocked', hidden: true });
  const errors = new ErrorBox();
  const result = h('div', { class: 'result', role: 'status' });
  let key: string | null = null;
  let check = checkRecipients('');

  const picker = new TemplatePicker(() => {
    update();
    recheck();
  });
  /** The job's text as send-csv's query: the template chosen, or the text written. */
  const textQuery = (): Query | null =>
    picker.chosen
      ? { template_id: picker.chosen.id }
      : content.value.trim()
        ? { content: content.value }
        : null;
  const csv = new CsvUpload(textQuery, () => update());
  let recheckTimer: ReturnType<typeof setTimeout> | undefined;
  const recheck = () => {
    clearTimeout(recheckTimer);
    if (csv.file) recheckTimer = setTimeout(() => void csv.check(), RECHECK_DELAY_MS);
  };
  content.addEventListener('input', recheck);

  const update = () => {
    const csvMode = csv.file !== null;
    recipientsField.hidden = csvMode;
    sendWindow.el.hidden = csvMode; // send-csv takes the server's default hours
    contentField.hidden = picker.chosen !== null;
    // A CSV file's columns are the values: the report's preview shows them rendered.
    picker.valuesShown = !csvMode;
    check = checkRecipients(recipients.value);
    replace(recipientsCheck, recipients.value.trim() ? recipientsSummary(check) : []);
    const n = csvMode ? (csv.report?.valid ?? 0) : check.entries.length;
    const summary = contentSummary(content.value, check.valid + check.national.length);
    counter.textContent = summary.text;
    counter.classList.toggle('warn', summary.warn);
    picker.setRecipients(Math.max(1, n));
    submit.textContent = n > 1 ? `Send to ${count(n)} recipients` : 'Send';
    const blocked = csv.blocked;
    submit.disabled = blocked !== null;
    blockedNote.hidden = blocked === null;
    blockedNote.textContent = blocked ?? '';
  };

  const form = h(
    'form',
    { class: 'compose', novalidate: true },
    recipientsField,
    csv.el,
    field(
      'Template',
      picker.select,
      'Or write the text: a template’s {{placeholders}} are filled from a CSV file’s columns.',
    ),
    picker.panel,
    contentField,
    urgent,
    field(
      'Send at (optional)',
      sendAt,
      'Your local time. Empty or past: sent now. Later (up to 90 days): the job waits, scheduled, and can be cancelled until then.',
    ),
    sendWindow.el,
    errors.el,
    h('div', { class: 'actions' }, submit),
    blockedNote,
    result,
  );
  for (const [control, extra] of [
    [recipients, recipientsCheck.id],
    [content, counter.id],
    [submit, blockedNote.id],
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
    const m = /^recipients\[(\d+)\]/.exec(d.field ?? '');
    const entry = m
      ? check.entries[Number(m[1])]
      : d.field === 'recipient'
        ? check.entries[0]
        : undefined;
    return entry ? `Line ${entry.line}: “${entry.raw}” ${d.message}` : detailText(d);
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (csv.file ? sendCsv() : send());
  });

  const lane = () => mayUrgent && formChecked(form, 'urgent');
  const timing = () => {
    const when = isoFromLocal(sendAt.value);
    return {
      adhoc: lane(),
      priority: lane() ? ('urgent' as const) : ('normal' as const),
      ...(when ? { send_at: when } : {}),
    };
  };

  async function sendCsv(): Promise<void> {
    errors.clear();
    replace(result);
    const blocked = csv.blocked;
    if (blocked) return errors.message(blocked);
    try {
      const accepted = await busy(submit, 'Sending…', () => csv.send(timing()));
      onSent(accepted);
      ctx.navigate(`#/jobs/${accepted.id}`);
    } catch (err) {
      errors.show(err, rowOf);
      update();
    }
  }

  async function send(): Promise<void> {
    errors.clear();
    clearFieldErrors(form);
    replace(result);
    update();
    const template = picker.chosen;
    const problems: string[] = [];
    let focus: HTMLElement | null = null;
    if (check.entries.length === 0) {
      problems.push('Recipients: enter at least one phone number, or choose a CSV file.');
      focus = recipients;
    }
    for (const i of check.invalid.slice(0, MAX_LISTED)) {
      problems.push(`Line ${i.line}: “${i.raw}” ${i.message}`);
      focus ??= recipients;
    }
    if (!template && !content.value.trim()) {
      problems.push('Message: write the text to send, or choose a template.');
      focus ??= content;
    }
    for (const name of picker.unfilled) {
      problems.push(`Template: fill in {{${name}}}, or choose a CSV file with a “${name}” column.`);
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
    const body = {
      ...(template ? { template_id: template.id } : { content: content.value }),
      ...timing(),
      ...sendWindow.value(),
    };
    const entries = check.entries.map((e) => e.raw);
    // A template's placeholders take the values typed beside it, the same for each number.
    const personal = template && template.placeholders.length > 0;
    try {
      const accepted = await busy(submit, 'Sending…', () =>
        personal
          ? api.sendBulk(
              { ...body, recipients: entries.map((phone) => ({ phone, vars: picker.vars })) },
              key!,
            )
          : entries.length === 1
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
          accepted.job_status === 'scheduled'
            ? [`Job #${accepted.id} scheduled: ${count(total)} SMS for `, time(accepted.send_at)]
            : `Job #${accepted.id} queued: ${count(total)} SMS`,
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
      picker.reset();
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

  picker.load().catch((err: unknown) => errors.show(err));
  update();
  return form;
}
