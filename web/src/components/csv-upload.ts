import type { CsvAccepted, CsvReport, Query } from '../api.js';
import { h, replace } from '../dom.js';
import { bytes, count } from '../format.js';
import { type UploadProgress, uploadCsv } from '../upload.js';
import { csvReport } from './csv-report.js';
import { ErrorBox } from './errors.js';

const PATH = '/api/sms/send-csv';

/**
 * The compose form's CSV file: dropped or chosen, checked at once by a dry run (the report
 * shows before anything is sent), then sent by a second upload of the same file. Upload
 * progress is shown in bytes; a changed text checks the file again.
 */
export class CsvUpload {
  file: File | null = null;
  report: CsvReport | null = null;
  private checking = 0;
  readonly input = h('input', {
    type: 'file',
    name: 'csv',
    id: 'csv-file',
    accept: '.csv,text/csv',
  });
  private readonly info = h('div', { class: 'csv-file', hidden: true });
  private readonly progress = h('progress', { max: 1, value: 0 });
  private readonly progressText = h('span', { class: 'progress-text' });
  private readonly progressBox = h(
    'div',
    { class: 'upload-progress', role: 'status', hidden: true },
    this.progress,
    ' ',
    this.progressText,
  );
  private readonly errors = new ErrorBox();
  private readonly reportBox = h('div', { class: 'csv-report-box', 'aria-live': 'polite' });
  private readonly skip = h('input', { type: 'checkbox', name: 'skip_invalid' });
  private readonly skipBox = h(
    'div',
    { hidden: true },
    h(
      'label',
      { class: 'check' },
      this.skip,
      ' Skip the invalid rows: send to the valid ones only',
    ),
  );
  private readonly zone = h(
    'div',
    { class: 'drop-zone' },
    h(
      'label',
      { for: this.input.id },
      'Or drop a CSV file here, or choose one: a header line with a phone column (phone, mobile, to…) and a column per placeholder.',
    ),
    this.input,
  );
  readonly el = h(
    'div',
    { class: 'csv-upload' },
    this.zone,
    this.info,
    this.progressBox,
    this.errors.el,
    this.reportBox,
    this.skipBox,
  );

  constructor(
    /** The job's text as query fields (template_id or content); null when there is none yet. */
    private readonly text: () => Query | null,
    private readonly onChange: () => void,
  ) {
    this.input.addEventListener('change', () => void this.choose(this.input.files?.[0] ?? null));
    this.skip.addEventListener('change', onChange);
    this.zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      this.zone.classList.add('drag-over');
    });
    this.zone.addEventListener('dragleave', () => this.zone.classList.remove('drag-over'));
    this.zone.addEventListener('drop', (e) => {
      e.preventDefault();
      this.zone.classList.remove('drag-over');
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      this.input.value = ''; // it no longer names the file in use
      void this.choose(file);
    });
  }

  get skipInvalid(): boolean {
    return !this.skip.closest('[hidden]') && this.skip.checked;
  }

  /** Why Send must wait (null: it may go). */
  get blocked(): string | null {
    if (!this.file) return null;
    if (!this.report) return 'The file is not checked yet: write the text or choose a template.';
    if (this.report.valid === 0) return 'The file has no valid row to send to.';
    if (this.report.invalid > 0 && !this.skipInvalid) {
      return `${count(this.report.invalid)} invalid row(s): correct the file and choose it again, or tick “Skip the invalid rows”.`;
    }
    return null;
  }

  async choose(file: File | null): Promise<void> {
    this.file = file;
    this.report = null;
    this.skip.checked = false;
    this.errors.clear();
    replace(this.reportBox);
    this.skipBox.hidden = true;
    this.info.hidden = !file;
    if (file) {
      const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove file');
      remove.addEventListener('click', () => {
        this.clear();
        this.onChange();
      });
      replace(this.info, h('strong', null, file.name), ` (${bytes(file.size)}) `, remove);
    }
    this.onChange();
    await this.check();
  }

  clear(): void {
    this.input.value = '';
    this.file = null;
    this.report = null;
    this.info.hidden = true;
    this.skipBox.hidden = true;
    this.errors.clear();
    replace(this.reportBox);
  }

  /** The dry run: the report of the file as the text stands now. */
  async check(): Promise<void> {
    const text = this.text();
    const file = this.file;
    if (!file || !text) return;
    const mine = ++this.checking;
    this.report = null;
    this.errors.clear();
    this.onChange();
    try {
      const report = await this.upload<CsvReport>({ ...text, dry_run: true }, 'Checking');
      if (mine !== this.checking) return; // a newer check (new text or file) took over
      this.report = report;
      replace(this.reportBox, csvReport(report));
      this.skipBox.hidden = report.invalid === 0 || report.valid === 0;
    } catch (err) {
      if (mine !== this.checking) return;
      replace(this.reportBox);
      this.errors.show(err);
    }
    this.onChange();
  }

  /** Queues the job: the same file uploaded again without dry_run. */
  send(query: Query): Promise<CsvAccepted> {
    return this.upload<CsvAccepted>(
      { ...this.text(), ...query, ...(this.skipInvalid ? { skip_invalid: true } : {}) },
      'Sending',
    );
  }

  private async upload<T>(query: Query, verb: string): Promise<T> {
    const file = this.file!;
    const show = (p: UploadProgress) => {
      this.progress.max = Math.max(1, p.total);
      this.progress.value = p.sent;
      this.progressText.textContent =
        p.sent >= p.total
          ? `${verb} ${file.name}: ${count(file.size)} bytes sent, reading the rows…`
          : `${verb} ${file.name}: ${bytes(p.sent)} of ${bytes(p.total)} sent`;
    };
    show({ sent: 0, total: file.size });
    this.progressBox.hidden = false;
    try {
      return await uploadCsv<T>(PATH, query, file, show);
    } finally {
      this.progressBox.hidden = true;
    }
  }
}
