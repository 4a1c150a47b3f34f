// The screens with nothing of the shift on them: the first unlock (the keys are still
// locked in the desk process), the idle lock, and the end of the shift. Whatever was shown
// before is removed from the page first.
import { h } from './dom';
import { ask } from './api';
import { startWords, t } from './strings';

/** Clears the page: no conversation, tip or draft stays in the DOM. */
export function wipe(app: HTMLElement): void {
  app.replaceChildren();
  const live = document.getElementById('live');
  if (live) live.textContent = '';
}

/** The passphrase form: at start (`keys` says how) or at the idle lock. */
export function unlockScreen(app: HTMLElement, o: { title: string; text: string; twice: boolean; inbox: boolean; error: unknown; retryIn: number }): void {
  wipe(app);
  // Never offered to a password manager: a saved passphrase would sit in the browser's
  // profile (synced, perhaps), and its autofill would let anyone at the machine past the
  // idle lock. `off` for the browser's own; the others' documented opt-outs beside it.
  const secret = (id: string, required: boolean) =>
    h('input', { type: 'password', id, required, autocomplete: 'off', 'data-1p-ignore': true, 'data-lpignore': 'true', 'data-bwignore': true, 'data-form-type': 'other' });
  const pass = secret('pass', true);
  const again = o.twice ? secret('again', true) : null;
  const inbox = o.inbox ? secret('inbox-pass', false) : null;
  const error = h('p', { class: 'error', id: 'unlock-error', role: 'alert' }, o.error ? startWords(o.error) : '');
  // The countdown has a line of its own, so the alert above is not read out every second.
  const wait = h('p', { class: 'meta', id: 'unlock-wait' }, waitWords(o.retryIn));
  const submit = h('button', { type: 'submit', class: 'primary' }, t('unlock'));
  const form = h(
    'form',
    {
      class: 'unlock',
      'aria-describedby': 'unlock-error',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (again && again.value !== pass.value) {
          error.textContent = t('differ');
          return;
        }
        ask({ type: 'unlock', passphrase: pass.value, ...(inbox?.value ? { inbox_passphrase: inbox.value } : {}) });
        pass.value = '';
        if (again) again.value = '';
        if (inbox) inbox.value = '';
      },
    },
    h('label', { for: 'pass' }, t('passphrase')),
    pass,
    again && h('label', { for: 'again' }, t('again')),
    again,
    inbox && h('label', { for: 'inbox-pass' }, t('inboxPassphrase')),
    inbox,
    submit,
    error,
    wait,
  );
  app.append(h('main', { class: 'center' }, h('h1', {}, o.title), h('p', {}, o.text), form));
  pass.focus();
}

const waitWords = (retryIn: number) => (retryIn > 0 ? t('retryIn', { s: retryIn }) : '');

/**
 * The passphrase form already shown gets the desk's news in place (a wrong passphrase, the
 * throttle's countdown): rebuilding it every second would wipe what is being typed.
 */
export function unlockNews(error: unknown, retryIn: number): boolean {
  const line = document.getElementById('unlock-error');
  const wait = document.getElementById('unlock-wait');
  if (!line || !wait) return false;
  const said = error ? startWords(error) : '';
  if (line.textContent !== said) line.textContent = said;
  wait.textContent = waitWords(retryIn);
  return true;
}

/** A screen with a title and a sentence. */
export function message(app: HTMLElement, title: string, text: string): void {
  wipe(app);
  app.append(h('main', { class: 'center' }, h('h1', {}, title), h('p', {}, text)));
}
