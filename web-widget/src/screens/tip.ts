// The tip form and its progress screen: seals the text to the inbox key, files it with a
// fresh receipt code (prepared while the visitor writes, tip-work.ts), and moves to the
// receipt screen once the relay has it. What was written
// is kept (in memory) until the relay confirms the tip: a failed send shows it again with the
// error. The text never leaves the device unsealed, and an empty tip is never sent.
import { h, PRIVATE_FIELD } from '../dom';
import type { Child } from '../dom';
import type { Key } from '../i18n';
import type { Widget } from '../state';
import { holdsPanel } from './holds';
import { dropTipWork, TipWork } from '../tip-work';
import { backButton, heading, limited, progressBar, TIP_LIMIT } from './common';

export function tipScreen(w: Widget): Child[] {
  const { state, t } = w;
  const draft = state.tipDraft;
  const cats = state.config?.tipCategories ?? [];
  const text = h('textarea', { id: 'll-tip-text', rows: '6', ...PRIVATE_FIELD }) as HTMLTextAreaElement;
  text.value = draft.text;
  // The receipt's stretching and the proof-of-work start with the writing (tip-work.ts).
  const prepare = () => (state.tipWork ??= new TipWork(w.relay)).start();
  if (draft.text) prepare();
  text.addEventListener('input', () => {
    draft.text = text.value;
    prepare();
  });
  const select = h('select', { id: 'll-tip-category', onchange: () => (draft.category = select.value) }, h('option', { value: '' }, t('tip_no_category')), ...cats.map((c) => h('option', { value: c, selected: c === draft.category }, state.config?.tipCategoryLabels[state.lang]?.[c] ?? c))) as HTMLSelectElement;
  const limit = limited(w, text, TIP_LIMIT);
  const failed = (notice: Key) => {
    w.go('tip');
    state.notice = t(notice);
    w.render();
    (w.panel.querySelector('.ll-error') as HTMLElement | null)?.focus();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const config = state.config;
    if (!config || !limit.fits()) return;
    if (!text.value.trim()) return failed('tip_empty');
    const work = (state.tipWork ??= new TipWork(w.relay));
    w.go('tip-sending');
    try {
      const receipt = await work.send(config.inbox, draft.text, draft.category || undefined, (p) => {
        state.progress = p;
        const bar = w.panel.querySelector('progress') as HTMLProgressElement | null;
        if (bar) bar.value = Math.round(p * 100);
        if (work.filing) w.panel.querySelector('.ll-tip-back')?.remove();
      });
      // The earlier tip's code goes only now: one that fails or is called back leaves it intact.
      state.receipt?.wipe();
      state.receipt = receipt;
      state.tipDraft = { text: '', category: '' };
      if (state.screen === 'tip-sending') w.go('receipt');
    } catch {
      // The form again with what was written, and the work kept: the same words sent again
      // file once (tip-work.ts). Called back (Back, the quick exit), the work is gone already.
      if (state.screen === 'tip-sending') failed('tip_error');
    }
  };
  return [
    heading(t('tip')),
    h('p', {}, t('tip_intro')),
    h(
      'form',
      { class: 'll-form', onsubmit: submit },
      h('label', { for: 'll-tip-text' }, t('tip_text')),
      text,
      limit.counter,
      cats.length ? h('label', { for: 'll-tip-category' }, t('tip_category')) : null,
      cats.length ? select : null,
      state.notice ? h('p', { class: 'll-error', role: 'alert', tabindex: '-1' }, state.notice) : null,
      h('button', { type: 'submit', class: 'll-primary' }, t('tip_send')),
    ),
    holdsPanel(w, 'tip'),
    backButton(w),
  ];
}

/** The slow steps of a tip or of opening a receipt, with their progress. */
export function progressScreen(w: Widget, label: Key = 'tip_sending'): Child[] {
  return [heading(w.t(label)), progressBar(w, w.state.progress)];
}

/** A tip's progress: Back (to the form, the words kept) until it is sealed and sent. */
export function tipSendingScreen(w: Widget): Child[] {
  const back = h('button', { type: 'button', class: 'll-secondary ll-tip-back', onclick: () => (dropTipWork(w.state), w.go('tip')) }, w.t('back'));
  return [...progressScreen(w), w.state.tipWork?.filing ? null : back];
}
