import { ApiError, api, type QueueStatus } from '../api.js';
import { clearFieldErrors, ErrorBox, markFieldErrors } from '../components/errors.js';
import { poll } from '../components/poll.js';
import { QueueCards } from '../components/queue-cards.js';
import { busy, field, formValue, h } from '../dom.js';
import { rate } from '../format.js';
import type { PageFactory } from '../page.js';

/** Admin: the cluster-wide rate limit, and pausing / resuming all sending. */
export const queueControlPage: PageFactory = () => {
  const cards = new QueueCards();
  const errors = new ErrorBox();
  const rateErrors = new ErrorBox();
  const pauseErrors = new ErrorBox();
  const rateNotice = h('div', { role: 'status', class: 'result' });
  const pauseNotice = h('div', { role: 'status', class: 'result' });
  let paused = false;
  const pauseState = h('p', { class: 'pause-state' }, 'Loading…');
  const pauseButton = h('button', { type: 'button' }, 'Pause sending');

  const showStatus = (s: QueueStatus) => {
    cards.update(s);
    pauseState.textContent = s.paused
      ? 'Sending is paused: no worker takes new SMS.'
      : 'Sending is running.';
    pauseButton.textContent = s.paused ? 'Resume sending' : 'Pause sending';
    pauseButton.className = s.paused ? 'primary' : 'danger';
    paused = s.paused;
  };

  async function refresh(): Promise<void> {
    try {
      showStatus(await api.queueStatus());
      errors.clear();
    } catch (err) {
      errors.show(err);
    }
  }

  // Rate limit form, filled once from GET /api/admin/rate-limit (never overwritten while editing).
  const rateInput = h('input', {
    name: 'msgs_per_sec',
    type: 'number',
    inputmode: 'decimal',
    min: 0.001,
    max: 100000,
    step: 'any',
    required: true,
  });
  const burstInput = h('input', {
    name: 'burst_capacity',
    type: 'number',
    inputmode: 'numeric',
    min: 1,
    max: 100000,
    step: 1,
    required: true,
  });
  const saveButton = h('button', { type: 'submit', class: 'primary' }, 'Save rate limit');
  const rateForm = h(
    'form',
    { class: 'rate-form', novalidate: true },
    field('Rate (SMS per second)', rateInput, 'Cluster-wide; fractions allowed, e.g. 0.5.'),
    field('Burst capacity', burstInput, 'The most SMS sent at once after a quiet spell.'),
    rateErrors.el,
    h('div', { class: 'actions' }, saveButton),
    rateNotice,
  );
  void api
    .rateLimit()
    .then((r) => {
      rateInput.value = String(r.msgs_per_sec);
      burstInput.value = String(r.burst_capacity);
    })
    .catch((err: unknown) => rateErrors.show(err));

  rateForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    rateErrors.clear();
    clearFieldErrors(rateForm);
    rateNotice.textContent = '';
    const body = {
      msgs_per_sec: Number(formValue(rateForm, 'msgs_per_sec')),
      burst_capacity: Number(formValue(rateForm, 'burst_capacity')),
    };
    const local = [];
    if (!rateInput.value || !(body.msgs_per_sec >= 0.001 && body.msgs_per_sec <= 100000)) {
      local.push({ field: 'msgs_per_sec', message: 'Enter a rate between 0.001 and 100000.' });
    }
    if (
      !burstInput.value ||
      !Number.isInteger(body.burst_capacity) ||
      body.burst_capacity < 1 ||
      body.burst_capacity > 100000
    ) {
      local.push({
        field: 'burst_capacity',
        message: 'Enter a whole number between 1 and 100000.',
      });
    }
    if (local.length) {
      rateErrors.message(
        'Please correct the rate limit.',
        local.map((d) => d.message),
      );
      markFieldErrors(rateForm, local)?.focus();
      return;
    }
    try {
      const saved = await busy(saveButton, 'Saving…', () => api.setRateLimit(body));
      rateNotice.textContent = `Rate limit saved: ${rate(saved.msgs_per_sec)} SMS per second, burst ${saved.burst_capacity}. Every worker follows within a second.`;
      await refresh();
    } catch (err) {
      rateErrors.show(err);
      if (err instanceof ApiError) markFieldErrors(rateForm, err.details)?.focus();
    }
  });

  // Pause / resume.
  pauseButton.addEventListener('click', async () => {
    pauseErrors.clear();
    pauseNotice.textContent = '';
    try {
      const s = await busy(pauseButton, paused ? 'Resuming…' : 'Pausing…', () =>
        paused ? api.resume() : api.pause(),
      );
      showStatus(s);
      pauseNotice.textContent = s.paused ? 'Sending paused.' : 'Sending resumed.';
    } catch (err) {
      pauseErrors.show(err);
    }
  });

  const el = h(
    'div',
    { class: 'page queue-control' },
    h('h1', { tabindex: -1 }, 'Queue control'),
    errors.el,
    h('section', { 'aria-labelledby': 'queue-h' }, h('h2', { id: 'queue-h' }, 'Queue'), cards.el),
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'rate-h', class: 'panel' },
        h('h2', { id: 'rate-h' }, 'Rate limit'),
        rateForm,
      ),
      h(
        'section',
        { 'aria-labelledby': 'pause-h', class: 'panel' },
        h('h2', { id: 'pause-h' }, 'Pause and resume'),
        pauseState,
        h(
          'p',
          { class: 'hint' },
          'While paused, SMS already on their way finish; nothing new is sent.',
        ),
        h('div', { class: 'actions' }, pauseButton),
        pauseErrors.el,
        pauseNotice,
      ),
    ),
  );
  return { title: 'Queue control', el, dispose: poll(refresh) };
};
