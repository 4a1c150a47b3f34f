// The tip form and its progress screen: seals the text to the inbox key, files it with a
// fresh receipt code, and moves to the receipt screen once the relay has it. The text never
// leaves the device unsealed.
import { h } from '../dom';
import type { Child } from '../dom';
import type { Key } from '../i18n';
import type { Widget } from '../state';
import { backButton, heading, progressBar } from './common';

export function tipScreen(w: Widget): Child[] {
  const { state, t } = w;
  const cats = state.config?.tipCategories ?? [];
  const text = h('textarea', { id: 'll-tip-text', rows: '6', maxlength: '60000' }) as HTMLTextAreaElement;
  const select = h('select', { id: 'll-tip-category' }, h('option', { value: '' }, t('tip_no_category')), ...cats.map((c) => h('option', { value: c }, c))) as HTMLSelectElement;
  const submit = async (e: Event) => {
    e.preventDefault();
    const config = state.config;
    if (!config) return;
    const body = text.value;
    const category = select.value || undefined;
    w.go('tip-sending');
    try {
      state.receipt = await w.relay.submitTip(config.inbox, body, category, (stage, p) => {
        state.progress = stage === 'receipt' ? p * 0.3 : 0.3 + p * 0.7;
        const bar = w.panel.querySelector('progress') as HTMLProgressElement | null;
        if (bar) bar.value = Math.round(state.progress * 100);
      });
      if (state.screen === 'tip-sending') w.go('receipt');
    } catch {
      if (state.screen !== 'tip-sending') return;
      w.go('tip');
      state.notice = t('tip_error');
      w.render();
    }
  };
  return [
    heading(t('tip_title')),
    h('p', {}, t('tip_intro')),
    h(
      'form',
      { class: 'll-form', onsubmit: submit },
      h('label', { for: 'll-tip-text' }, t('tip_text')),
      text,
      cats.length ? h('label', { for: 'll-tip-category' }, t('tip_category')) : null,
      cats.length ? select : null,
      state.notice ? h('p', { class: 'll-error', role: 'alert' }, state.notice) : null,
      h('button', { type: 'submit', class: 'll-primary' }, t('tip_send')),
    ),
    backButton(w),
  ];
}

/** The slow steps of a tip or of opening a receipt, with their progress. */
export function progressScreen(w: Widget, label: Key = 'tip_sending'): Child[] {
  return [heading(w.t(label)), progressBar(w, w.state.progress)];
}
