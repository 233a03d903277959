import { ApiError, api, type User } from '../api.js';
import { openDialog } from '../components/dialog.js';
import { clearFieldErrors, ErrorBox, markFieldErrors } from '../components/errors.js';
import { Pager } from '../components/pager.js';
import { busy, checkbox, type Child, field, formChecked, formValue, h, replace } from '../dom.js';
import { time } from '../format.js';
import type { PageFactory } from '../page.js';

const PER_PAGE = 50;
const WEIGHT_HINT =
  'Share of the sending rate (1-100) against other users with SMS waiting in the same lane.';

/** The weight input of the create form and the edit dialog (1-100, whole numbers). */
const weightInput = (value: number) =>
  h('input', {
    name: 'weight',
    type: 'number',
    min: 1,
    max: 100,
    step: 1,
    required: true,
    value: String(value),
    inputmode: 'numeric',
  });

/** A form's weight as the API wants it: a number (the API refuses anything but 1-100). */
const weightOf = (raw: FormDataEntryValue | string | null) =>
  raw === null || String(raw).trim() === '' ? NaN : Number(raw);

/** Shows a new API token once, with a copy button; it is never shown again. */
function tokenPanel(username: string, token: string, onDismiss: () => void): HTMLElement {
  const code = h('code', { class: 'token', 'data-token': token }, token);
  const copied = h('span', { class: 'copied', 'aria-live': 'polite' });
  const copy = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(token);
          copied.textContent = 'Copied.';
        } catch {
          // No clipboard (plain http): select the text for Ctrl+C instead.
          getSelection()?.selectAllChildren(code);
          copied.textContent = 'Selected: press Ctrl+C to copy.';
        }
      },
    },
    'Copy token',
  );
  const panel = h(
    'div',
    { class: 'token-panel', role: 'status' },
    h(
      'p',
      null,
      h('strong', null, `API token for ${username}`),
      ': copy it now, it is not shown again.',
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
  return panel;
}

/**
 * Admin: create users, enable/disable, urgent right and weight, reset passwords, regenerate API
 * tokens, delete.
 */
export const usersPage: PageFactory = (ctx) => {
  const errors = new ErrorBox();
  const createErrors = new ErrorBox();
  const tokenBox = h('div');
  const notice = h('div', { role: 'status', class: 'result' });
  const tableBox = h('div', null, h('p', null, 'Loading…'));
  let page = 1;
  const pager = new Pager('Users, pages', (p) => {
    page = p;
    void refresh();
  });

  const showToken = (username: string, token: string) => {
    replace(
      tokenBox,
      tokenPanel(username, token, () => {
        replace(tokenBox);
        createForm.querySelector('input')?.focus();
      }),
    );
    tokenBox.querySelector<HTMLButtonElement>('button')?.focus();
  };

  const act = async (button: HTMLButtonElement, label: string, work: () => Promise<string>) => {
    errors.clear();
    notice.textContent = '';
    try {
      notice.textContent = await busy(button, label, work);
      await refresh();
    } catch (err) {
      errors.show(err);
    }
  };

  function actions(u: User): Child {
    const self = u.id === ctx.user.id;
    const key = (what: string) => `${what}-${u.id}`;
    const toggle = h(
      'button',
      {
        type: 'button',
        'data-key': key('toggle'),
        disabled: self,
        title: self ? 'You cannot disable yourself' : undefined,
      },
      u.is_active ? 'Disable' : 'Enable',
    );
    toggle.addEventListener('click', () =>
      act(toggle, 'Saving…', async () => {
        await api.updateUser(u.id, { is_active: !u.is_active });
        return `${u.username} is now ${u.is_active ? 'disabled' : 'enabled'}.`;
      }),
    );
    const lanes = h('button', { type: 'button', 'data-key': key('lanes') }, 'Urgent & weight');
    lanes.addEventListener('click', async () => {
      const data = await openDialog({
        title: `Sending of ${u.username}`,
        body: [
          checkbox('can_send_urgent', 'May send urgent SMS', u.can_send_urgent),
          field('Weight', weightInput(u.weight), WEIGHT_HINT),
        ],
        confirm: 'Save',
      });
      if (!data) return;
      await act(lanes, 'Saving…', async () => {
        const changed = await api.updateUser(u.id, {
          can_send_urgent: data.get('can_send_urgent') === 'on',
          weight: weightOf(data.get('weight')),
        });
        return `${u.username}: ${changed.can_send_urgent ? 'may' : 'may not'} send urgent SMS, weight ${changed.weight}.`;
      });
    });
    const reset = h('button', { type: 'button', 'data-key': key('password') }, 'Reset password');
    reset.addEventListener('click', async () => {
      const data = await openDialog({
        title: `New password for ${u.username}`,
        body: field(
          'New password',
          h('input', {
            type: 'password',
            name: 'password',
            required: true,
            minlength: 8,
            maxlength: 200,
            autocomplete: 'new-password',
          }),
          'At least 8 characters. All their sessions end; their API token keeps working.',
        ),
        confirm: 'Set password',
      });
      if (!data) return;
      await act(reset, 'Saving…', async () => {
        await api.updateUser(u.id, { password: String(data.get('password')) });
        return `Password of ${u.username} changed.`;
      });
    });
    const rotate = h('button', { type: 'button', 'data-key': key('token') }, 'New API token');
    rotate.addEventListener('click', async () => {
      // One's own token needs one's password (POST /api/auth/token), so a stolen session
      // cannot mint a long-lived token.
      const ok = await openDialog({
        title: `New API token for ${u.username}?`,
        body: self
          ? field(
              'Your password',
              h('input', {
                type: 'password',
                name: 'password',
                required: true,
                maxlength: 200,
                autocomplete: 'current-password',
              }),
              'Your current API token stops working at once.',
            )
          : h('p', null, 'Their current API token stops working at once.'),
        confirm: 'Create new token',
      });
      if (!ok) return;
      errors.clear();
      const make = () =>
        self ? api.rotateOwnToken(String(ok.get('password'))) : api.rotateUserToken(u.id);
      try {
        const { token } = await busy(rotate, 'Creating…', make);
        showToken(u.username, token);
      } catch (err) {
        errors.show(err);
      }
    });
    const remove = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'data-key': key('delete'),
        disabled: self,
        title: self ? 'You cannot delete yourself' : undefined,
      },
      'Delete',
    );
    remove.addEventListener('click', async () => {
      const ok = await openDialog({
        title: `Delete ${u.username}?`,
        body: h('p', null, 'The account and its tokens are removed; its jobs are kept.'),
        confirm: 'Delete user',
        danger: true,
      });
      if (!ok) return;
      await act(remove, 'Deleting…', async () => {
        await api.deleteUser(u.id);
        return `${u.username} deleted.`;
      });
    });
    const revoke = h('button', { type: 'button', 'data-key': key('revoke') }, 'Revoke token');
    revoke.addEventListener('click', async () => {
      const ok = await openDialog({
        title: `Revoke the API token of ${u.username}?`,
        body: h('p', null, 'It stops working at once and none replaces it. Sessions go on.'),
        confirm: 'Revoke token',
        danger: true,
      });
      if (!ok) return;
      await act(revoke, 'Revoking…', async () => {
        await api.revokeUserToken(u.id);
        return `The API token of ${u.username} was revoked.`;
      });
    });
    return [toggle, lanes, reset, rotate, revoke, remove];
  }

  async function refresh(): Promise<void> {
    try {
      const list = await api.users({ page, per_page: PER_PAGE });
      const td = (label: string, ...c: Child[]) => h('td', { 'data-label': label }, ...c);
      replace(
        tableBox,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'responsive users' },
            h('caption', { class: 'visually-hidden' }, 'Users'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['User', 'Role', 'Account', 'Urgent', 'Weight', 'Created', 'Actions'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              list.users.map((u) =>
                h(
                  'tr',
                  { 'data-user': u.username },
                  h('th', { scope: 'row', 'data-label': 'User' }, u.username),
                  td('Role', u.is_admin ? 'admin' : 'user'),
                  td(
                    'Account',
                    h(
                      'span',
                      { class: `badge badge-${u.is_active ? 'completed' : 'failed'}` },
                      u.is_active ? 'active' : 'disabled',
                    ),
                  ),
                  td(
                    'Urgent',
                    h(
                      'span',
                      { 'data-urgent': String(u.can_send_urgent) },
                      u.can_send_urgent ? 'allowed' : u.is_admin ? 'allowed (admin)' : 'no',
                    ),
                  ),
                  td('Weight', h('span', { 'data-weight': String(u.weight) }, String(u.weight))),
                  td('Created', time(u.created_at)),
                  td('Actions', h('span', { class: 'row-actions' }, actions(u))),
                ),
              ),
            ),
          ),
        ),
      );
      pager.update(list);
      pager.el.hidden = list.pages <= 1;
    } catch (err) {
      errors.show(err);
    }
  }

  const createButton = h('button', { type: 'submit', class: 'primary' }, 'Create user');
  const createForm = h(
    'form',
    { class: 'create-user', novalidate: true },
    field(
      'Username',
      h('input', { name: 'username', required: true, autocomplete: 'off', maxlength: 64 }),
      '3 to 64 letters, digits, dots, dashes or underscores.',
    ),
    field(
      'Password',
      h('input', {
        name: 'password',
        type: 'password',
        required: true,
        autocomplete: 'new-password',
      }),
      'At least 8 characters.',
    ),
    checkbox('is_admin', 'Administrator'),
    checkbox('can_send_urgent', 'May send urgent SMS (sent before every normal SMS)'),
    field('Weight', weightInput(1), WEIGHT_HINT),
    createErrors.el,
    h('div', { class: 'actions' }, createButton),
  );
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    createErrors.clear();
    clearFieldErrors(createForm);
    const body = {
      username: formValue(createForm, 'username').trim(),
      password: formValue(createForm, 'password'),
      is_admin: formChecked(createForm, 'is_admin'),
      can_send_urgent: formChecked(createForm, 'can_send_urgent'),
      weight: weightOf(formValue(createForm, 'weight')),
    };
    try {
      const created = await busy(createButton, 'Creating…', () => api.createUser(body));
      createForm.reset();
      notice.textContent = `User ${created.user.username} created.`;
      showToken(created.user.username, created.token);
      await refresh();
    } catch (err) {
      createErrors.show(err);
      if (err instanceof ApiError) markFieldErrors(createForm, err.details)?.focus();
    }
  });

  const el = h(
    'div',
    { class: 'page users' },
    h('h1', { tabindex: -1 }, 'Users'),
    errors.el,
    notice,
    tokenBox,
    h(
      'section',
      { 'aria-labelledby': 'create-h', class: 'panel' },
      h('h2', { id: 'create-h' }, 'New user'),
      createForm,
    ),
    h(
      'section',
      { 'aria-labelledby': 'users-h', class: 'panel' },
      h('h2', { id: 'users-h' }, 'All users'),
      tableBox,
      pager.el,
    ),
  );
  void refresh();
  return { title: 'Users', el };
};
