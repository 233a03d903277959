/**
 * smspanel dashboard: a single page over the public REST API (shared/spec/API.md), logged in
 * with a session token from POST /api/auth/login. Pages are picked from the URL hash
 * (#/, #/jobs/12, #/admin/…), so the browser's back button and bookmarks work.
 */
import 'uplot/dist/uPlot.min.css';
import './app.css';
import {
  type ApiError,
  api,
  type LoginAnswer,
  type SessionUser,
  setUnauthorizedHandler,
} from './api.js';
import { openDialog } from './components/dialog.js';
import { field, h, replace } from './dom.js';
import type { PageFactory, PageView } from './page.js';
import { clearSession, loadSession, saveSession } from './session.js';
import { dashboardPage } from './views/dashboard.js';
import { deadLettersPage } from './views/dead-letters.js';
import { jobPage } from './views/job.js';
import { loginView } from './views/login.js';
import { messagesPage } from './views/messages.js';
import { queueControlPage } from './views/queue-control.js';
import { suppressionsPage } from './views/suppressions.js';
import { templatesPage } from './views/templates.js';
import { usersPage } from './views/users.js';
import { webhooksPage } from './views/webhooks.js';

interface Route {
  pattern: RegExp;
  page: PageFactory;
  admin?: boolean;
  /** Shown in the main navigation. */
  nav?: string;
}

const ROUTES: Route[] = [
  { pattern: /^\/$/, page: dashboardPage, nav: 'Dashboard' },
  { pattern: /^\/jobs\/(\d+)$/, page: jobPage },
  { pattern: /^\/templates$/, page: templatesPage, nav: 'Templates' },
  { pattern: /^\/webhooks$/, page: webhooksPage, nav: 'Webhooks' },
  { pattern: /^\/admin\/users$/, page: usersPage, admin: true, nav: 'Users' },
  { pattern: /^\/admin\/messages$/, page: messagesPage, admin: true, nav: 'All messages' },
  { pattern: /^\/admin\/dead-letters$/, page: deadLettersPage, admin: true, nav: 'Dead letters' },
  { pattern: /^\/admin\/queue$/, page: queueControlPage, admin: true, nav: 'Queue control' },
  { pattern: /^\/admin\/suppressions$/, page: suppressionsPage, admin: true, nav: 'Suppressions' },
];
const NAV_PATHS: Record<string, string> = {
  Dashboard: '/',
  Templates: '/templates',
  Webhooks: '/webhooks',
  Users: '/admin/users',
  'All messages': '/admin/messages',
  'Dead letters': '/admin/dead-letters',
  'Queue control': '/admin/queue',
  Suppressions: '/admin/suppressions',
};

const root = document.getElementById('app')!;
let current: PageView | null = null;

function path(): string {
  const p = location.hash.replace(/^#/, '');
  return p.startsWith('/') ? p : '/';
}

function disposePage(): void {
  current?.dispose?.();
  current = null;
}

function showLogin(notice?: string): void {
  disposePage();
  document.title = 'Log in · smspanel';
  replace(
    root,
    loginView((answer: LoginAnswer) => {
      saveSession({ token: answer.token, expires_at: answer.expires_at, user: answer.user });
      showApp(answer.user);
    }, notice),
  );
}

/** Ends the session on the server too; the local logout goes ahead if that fails. */
async function logout(): Promise<void> {
  await api.logout().catch(() => undefined);
  clearSession();
  // The next person to log in starts on the dashboard, not on the previous user's page.
  history.replaceState(null, '', '#/');
  showLogin('You are logged out.');
}

const passwordInput = (name: string, autocomplete: string, minlength?: number) =>
  h('input', { type: 'password', name, required: true, minlength, maxlength: 200, autocomplete });

/** Every session ends with a password change, this one included: back to the login form. */
async function changePassword(): Promise<void> {
  const data = await openDialog({
    title: 'Change your password',
    body: h(
      'div',
      null,
      field('Current password', passwordInput('current', 'current-password')),
      field(
        'New password',
        passwordInput('next', 'new-password', 8),
        'At least 8 characters. All your sessions end; your API token keeps working.',
      ),
    ),
    confirm: 'Change password',
  });
  if (!data) return;
  try {
    await api.changePassword(String(data.get('current')), String(data.get('next')));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await openDialog({ title: 'Password not changed', body: h('p', null, message), confirm: 'OK' });
    return;
  }
  clearSession();
  onhashchange = null;
  history.replaceState(null, '', '#/');
  showLogin('Your password was changed: log in with the new one.');
}

function messagePage(title: string, text: string): PageFactory {
  return () => ({
    title,
    el: h(
      'div',
      { class: 'page' },
      h('h1', { tabindex: -1 }, title),
      h('p', null, text, ' ', h('a', { href: '#/' }, 'Back to the dashboard'), '.'),
    ),
  });
}

function showApp(user: SessionUser): void {
  disposePage();
  const main = h('main', { id: 'main', tabindex: -1 });
  const links = ROUTES.filter((r) => r.nav && (!r.admin || user.is_admin)).map((r) =>
    h('a', { href: `#${NAV_PATHS[r.nav!]}`, 'data-path': NAV_PATHS[r.nav!] }, r.nav!),
  );
  const header = h(
    'header',
    { class: 'topbar' },
    h(
      'a',
      {
        class: 'skip-link',
        href: '#main',
        onclick: (e: Event) => {
          e.preventDefault();
          main.querySelector<HTMLElement>('h1')?.focus();
        },
      },
      'Skip to content',
    ),
    h('a', { class: 'brand', href: '#/' }, 'smspanel'),
    h(
      'nav',
      { 'aria-label': 'Main' },
      h(
        'ul',
        null,
        links.map((a) => h('li', null, a)),
      ),
    ),
    h(
      'div',
      { class: 'who' },
      h(
        'span',
        null,
        'Logged in as ',
        h('strong', { 'data-username': user.username }, user.username),
        user.is_admin ? ' (admin)' : '',
      ),
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: changePassword },
        'Change password',
      ),
      h('button', { type: 'button', class: 'secondary', onclick: logout }, 'Log out'),
    ),
  );
  replace(root, header, main);

  const render = (focus: boolean) => {
    disposePage();
    const p = path();
    let params: string[] = [];
    let factory: PageFactory = messagePage('Not found', `There is no page at ${p}.`);
    for (const r of ROUTES) {
      const m = r.pattern.exec(p);
      if (!m) continue;
      params = m.slice(1);
      factory =
        r.admin && !user.is_admin
          ? messagePage('Not allowed', 'This page is for administrators.')
          : r.page;
      break;
    }
    current = factory({ user, navigate: (hash) => (location.hash = hash) }, params);
    replace(main, current.el);
    document.title = `${current.title} · smspanel`;
    for (const a of links) {
      if (a.dataset.path === p) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    // Tell keyboard and screen-reader users where they landed.
    if (focus) main.querySelector<HTMLElement>('h1')?.focus();
  };
  onhashchange = () => render(true);
  render(false);
}

setUnauthorizedHandler((err: ApiError) => {
  clearSession();
  onhashchange = null;
  showLogin(`Please log in again: ${err.message}`);
});

async function start(): Promise<void> {
  const session = loadSession();
  if (!session) return showLogin();
  try {
    // The role and the urgent right may have changed since the token was issued.
    const me = await api.me();
    const user = {
      id: me.id,
      username: me.username,
      is_admin: me.is_admin,
      can_send_urgent: me.can_send_urgent,
      weight: me.weight,
    };
    saveSession({ ...session, user });
    showApp(user);
  } catch {
    // A 401 already showed the login form.
    if (!root.querySelector('.login')) showLogin();
  }
}

void start();
