import { api, type LoginAnswer } from '../api.js';
import { ErrorBox } from '../components/errors.js';
import { busy, field, formValue, h } from '../dom.js';

/** The login form; `notice` explains why it is shown again (session ended). */
export function loginView(onLogin: (a: LoginAnswer) => void, notice?: string): HTMLElement {
  const errors = new ErrorBox();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    required: true,
    maxlength: 64,
  });
  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-h' },
    h('h1', { id: 'login-h', tabindex: -1 }, 'smspanel'),
    h('p', { class: 'lead' }, 'Log in to send SMS and follow your jobs.'),
    notice && h('p', { class: 'notice', role: 'status' }, notice),
    field('Username', username),
    field(
      'Password',
      h('input', {
        name: 'password',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
        maxlength: 200,
      }),
    ),
    errors.el,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const name = formValue(form, 'username').trim();
    const password = formValue(form, 'password');
    if (!name || !password) {
      errors.message('Enter your username and password.');
      const target = name ? form.elements.namedItem('password') : username;
      if (target instanceof HTMLElement) target.focus();
      return;
    }
    try {
      onLogin(await busy(submit, 'Logging in…', () => api.login(name, password)));
    } catch (err) {
      errors.show(err);
      const pw = form.elements.namedItem('password');
      if (pw instanceof HTMLInputElement) {
        pw.value = '';
        pw.focus();
      }
    }
  });
  queueMicrotask(() => username.focus());
  return h('main', { class: 'login', id: 'main' }, form);
}
