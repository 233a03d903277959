import {
  api,
  type CreatedWebhook,
  type Delivery,
  DELIVERY_STATUSES,
  EVENT_TYPES,
  type Webhook,
} from '../api.js';
import { openDialog } from '../components/dialog.js';
import { ErrorBox } from '../components/errors.js';
import { Pager } from '../components/pager.js';
import { poll } from '../components/poll.js';
import { busy, type Child, checkbox, field, h, replace } from '../dom.js';
import { statusBadge, time } from '../format.js';
import type { PageFactory } from '../page.js';

const PER_PAGE = 20;
const ALL = '*';

/** Checkboxes for the event types, "every event" first; `events` is what is ticked. */
function eventChoices(events: readonly string[]): HTMLElement {
  return h(
    'fieldset',
    { class: 'event-choices' },
    h('legend', null, 'Events'),
    checkbox('event', 'Every event (*)', events.includes(ALL)),
    EVENT_TYPES.map((t) => {
      const label = checkbox('event', t, events.includes(t));
      label.querySelector('input')!.value = t;
      return label;
    }),
  );
}

/** The ticked event types of a form; `*` when "every event" is ticked (or nothing is). */
function chosenEvents(data: FormData | HTMLFormElement): string[] {
  const values = (data instanceof FormData ? data : new FormData(data)).getAll('event').map(String);
  // The "every event" box has no value attribute: FormData gives it as "on".
  if (values.includes('on') || values.length === 0) return [ALL];
  return values;
}

/** Shows a signing secret once, with a copy button. */
function secretPanel(url: string, secret: string, onDismiss: () => void): HTMLElement {
  const code = h('code', { class: 'token', 'data-secret': secret }, secret);
  const copied = h('span', { class: 'copied', 'aria-live': 'polite' });
  const copy = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(secret);
          copied.textContent = 'Copied.';
        } catch {
          getSelection()?.selectAllChildren(code);
          copied.textContent = 'Selected: press Ctrl+C to copy.';
        }
      },
    },
    'Copy secret',
  );
  return h(
    'div',
    { class: 'token-panel secret-panel', role: 'status' },
    h(
      'p',
      null,
      h('strong', null, `Signing secret for ${url}`),
      ': copy it now, it is not shown again. Check Smspanel-Signature with it (see the README).',
    ),
    code,
    h(
      'div',
      { class: 'actions' },
      copy,
      h('button', { type: 'button', class: 'secondary', onclick: onDismiss }, 'Done'),
      copied,
    ),
  );
}

/** Webhook endpoints: register, edit, rotate the secret, ping, delete, and the deliveries log. */
export const webhooksPage: PageFactory = () => {
  const errors = new ErrorBox();
  const createErrors = new ErrorBox();
  const notice = h('div', { role: 'status', class: 'result' });
  const secretBox = h('div');
  const listBox = h('div', null, h('p', null, 'Loading…'));
  const deliveriesBox = h('div');
  const deliveriesHead = h('h2', { id: 'deliveries-h' }, 'Deliveries');
  let selected: Webhook | null = null;
  let deliveriesPage = 1;
  const deliveriesPager = new Pager('Deliveries, pages', (p) => {
    deliveriesPage = p;
    void refreshDeliveries();
  });
  const statusFilter = h(
    'select',
    { name: 'delivery-status' },
    h('option', { value: '' }, 'All'),
    DELIVERY_STATUSES.map((s) => h('option', { value: s }, s)),
  );
  statusFilter.addEventListener('change', () => {
    deliveriesPage = 1;
    void refreshDeliveries();
  });

  const showSecret = (url: string, secret: string) =>
    replace(
      secretBox,
      secretPanel(url, secret, () => replace(secretBox)),
    );

  const form = h(
    'form',
    { class: 'create-webhook', novalidate: false },
    field(
      'Endpoint URL',
      h('input', {
        type: 'url',
        name: 'url',
        required: true,
        maxlength: 2000,
        placeholder: 'https://hooks.example.com/smspanel',
      }),
    ),
    field(
      'Description (optional)',
      h('input', { type: 'text', name: 'description', maxlength: 500 }),
    ),
    eventChoices([ALL]),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add endpoint')),
    createErrors.el,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    createErrors.clear();
    const data = new FormData(form);
    const description = String(data.get('description') ?? '').trim();
    try {
      const created: CreatedWebhook = await busy(
        form.querySelector('button[type="submit"]')!,
        'Adding…',
        () =>
          api.createWebhook({
            url: String(data.get('url')).trim(),
            events: chosenEvents(data) as CreatedWebhook['events'],
            ...(description ? { description } : {}),
          }),
      );
      form.reset();
      showSecret(created.url, created.secret);
      notice.textContent = `Endpoint #${created.id} added.`;
      selected = created;
      await refresh();
    } catch (err) {
      createErrors.show(err);
    }
  });

  const act = async (button: HTMLButtonElement, label: string, fn: () => Promise<string>) => {
    errors.clear();
    notice.textContent = '';
    try {
      notice.textContent = await busy(button, label, fn);
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  };

  const edit = async (w: Webhook) => {
    const data = await openDialog({
      title: `Edit endpoint #${w.id}`,
      body: h(
        'div',
        null,
        h('p', null, w.url),
        eventChoices(w.events),
        checkbox('active', 'Active (receives events)', w.is_active),
      ),
      confirm: 'Save',
    });
    if (!data) return;
    try {
      await api.updateWebhook(w.id, {
        events: chosenEvents(data) as Webhook['events'],
        is_active: data.get('active') !== null,
      });
      notice.textContent = `Endpoint #${w.id} saved.`;
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  };

  const row = (w: Webhook) => {
    const td = (label: string, ...c: Child[]) => h('td', { 'data-label': label }, ...c);
    const button = (
      text: string,
      key: string,
      onclick: (b: HTMLButtonElement) => void,
      cls = '',
    ) => {
      const b = h('button', { type: 'button', class: cls, 'data-key': `${key}-${w.id}` }, text);
      b.addEventListener('click', () => onclick(b));
      return b;
    };
    return h(
      'tr',
      { 'data-webhook': w.id, 'aria-selected': selected?.id === w.id ? 'true' : null },
      h(
        'th',
        { scope: 'row', 'data-label': 'URL' },
        w.url,
        w.description ? h('div', { class: 'hint' }, w.description) : null,
      ),
      td('Events', w.events.join(', ')),
      td(
        'State',
        statusBadge(w.is_active ? 'active' : 'inactive'),
        w.disabled_reason ? h('div', { class: 'hint' }, w.disabled_reason) : null,
      ),
      td('Created', time(w.created_at)),
      td(
        'Actions',
        h(
          'div',
          { class: 'row-actions' },
          button('Deliveries', 'deliveries', () => {
            selected = w;
            deliveriesPage = 1;
            void refresh();
          }),
          button('Send test ping', 'ping', (b) =>
            act(b, 'Sending…', async () => {
              const { event_id } = await api.pingWebhook(w.id);
              selected = w;
              return `Test ping ${event_id} queued to endpoint #${w.id}.`;
            }),
          ),
          button('Edit', 'edit', () => void edit(w), 'secondary'),
          button(
            'Rotate secret',
            'rotate',
            (b) =>
              act(b, 'Rotating…', async () => {
                const { secret } = await api.rotateWebhookSecret(w.id);
                showSecret(w.url, secret);
                return `Endpoint #${w.id} has a new secret.`;
              }),
            'secondary',
          ),
          button(
            'Delete',
            'delete',
            async (b) => {
              const ok = await openDialog({
                title: `Delete endpoint #${w.id}?`,
                body: h(
                  'p',
                  null,
                  `${w.url} receives no more events; its deliveries log goes too.`,
                ),
                confirm: 'Delete endpoint',
                danger: true,
              });
              if (!ok) return;
              await act(b, 'Deleting…', async () => {
                await api.deleteWebhook(w.id);
                if (selected?.id === w.id) selected = null;
                return `Endpoint #${w.id} deleted.`;
              });
            },
            'danger',
          ),
        ),
      ),
    );
  };

  const deliveryRow = (d: Delivery) => {
    const td = (label: string, ...c: Child[]) => h('td', { 'data-label': label }, ...c);
    return h(
      'tr',
      { 'data-delivery': d.id, 'data-event-type': d.event_type },
      h(
        'th',
        { scope: 'row', 'data-label': 'Event' },
        d.event_type,
        h('div', { class: 'hint' }, d.event_id),
      ),
      td('Status', statusBadge(d.status)),
      td('Attempts', d.attempts),
      td('Last answer', d.last_status_code ?? '—', d.last_error ? ` ${d.last_error}` : ''),
      td('Next attempt', time(d.next_attempt_at)),
      td('Delivered', time(d.delivered_at)),
      td('Created', time(d.created_at)),
    );
  };

  async function refreshDeliveries(): Promise<void> {
    if (!selected) {
      deliveriesHead.textContent = 'Deliveries';
      replace(
        deliveriesBox,
        h('p', { class: 'empty' }, 'Choose an endpoint to see its deliveries.'),
      );
      deliveriesPager.el.hidden = true;
      return;
    }
    const list = await api.deliveries(selected.id, {
      page: deliveriesPage,
      per_page: PER_PAGE,
      status: statusFilter.value,
    });
    deliveriesHead.textContent = `Deliveries to #${selected.id}`;
    replace(
      deliveriesBox,
      list.deliveries.length === 0
        ? h('p', { class: 'empty' }, 'No deliveries yet.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'responsive deliveries' },
              h('caption', { class: 'visually-hidden' }, `Deliveries to endpoint #${selected.id}`),
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  [
                    'Event',
                    'Status',
                    'Attempts',
                    'Last answer',
                    'Next attempt',
                    'Delivered',
                    'Created',
                  ].map((t) => h('th', { scope: 'col' }, t)),
                ),
              ),
              h('tbody', null, list.deliveries.map(deliveryRow)),
            ),
          ),
    );
    deliveriesPager.update(list);
    deliveriesPager.el.hidden = list.pages <= 1;
  }

  async function refresh(): Promise<void> {
    try {
      const list = await api.webhooks({ page: 1, per_page: 100 });
      if (selected && !list.webhooks.some((w) => w.id === selected!.id)) selected = null;
      replace(
        listBox,
        list.webhooks.length === 0
          ? h('p', { class: 'empty' }, 'No endpoints yet: add one above.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'responsive webhooks' },
                h('caption', { class: 'visually-hidden' }, 'Your webhook endpoints'),
                h(
                  'thead',
                  null,
                  h(
                    'tr',
                    null,
                    ['URL', 'Events', 'State', 'Created', 'Actions'].map((t) =>
                      h('th', { scope: 'col' }, t),
                    ),
                  ),
                ),
                h('tbody', null, list.webhooks.map(row)),
              ),
            ),
      );
      await refreshDeliveries();
    } catch (err) {
      errors.show(err);
    }
  }

  const el = h(
    'div',
    { class: 'page webhooks' },
    h('h1', { tabindex: -1 }, 'Webhooks'),
    h(
      'p',
      { class: 'lead' },
      'Endpoints are told when your messages change state: signed POSTs, retried until delivered.',
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'add-webhook-h' },
      h('h2', { id: 'add-webhook-h' }, 'Add an endpoint'),
      form,
    ),
    secretBox,
    errors.el,
    notice,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'webhooks-h' },
      h('h2', { id: 'webhooks-h' }, 'Endpoints'),
      listBox,
    ),
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'deliveries-h' },
      h(
        'div',
        { class: 'section-head' },
        deliveriesHead,
        h('div', { class: 'inline-filter' }, field('Status', statusFilter)),
      ),
      deliveriesBox,
      deliveriesPager.el,
    ),
  );
  return { title: 'Webhooks', el, dispose: poll(refresh) };
};
