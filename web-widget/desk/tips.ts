// The tips screen: the inbox (received time, follow-ups and replies filed), and the opened
// tip's whole thread with the reply composer. Tips open in the desk process with the inbox
// key; this page only shows the text it is sent while unlocked.
import { h } from './dom';
import { ask, Holder, OpenedTip, State, TipSummary } from './api';
import { composer } from './composer';
import { keepsTip } from './keeps';
import { askFirst } from './pickers';
import { t, when, worded } from './strings';

/** Who holds a tip, in words. */
const holderWords = (holder: Holder) => (holder === 'nobody' ? t('tipFree') : holder === 'me' ? t('tipYours') : t('heldBy', { by: holder.colleague }));

/** Take (free) or Take over (a colleague's, after asking); nothing when it is mine. */
function takeButton(id: string, holder: Holder, key: string): HTMLElement | null {
  if (holder === 'me') return null;
  const by = typeof holder === 'object' ? holder.colleague : null;
  const over = by !== null;
  return h(
    'button',
    {
      type: 'button',
      class: 'small',
      'data-key': key,
      onclick: () => {
        const take = () => ask({ type: 'tip_take', id, over });
        if (over) askFirst(t('confirmTakeOver', { by }), t('takeOver'), take);
        else take();
      },
    },
    over ? t('takeOver') : t('take'),
  );
}

function tipRow(tip: TipSummary, opened: string | undefined): HTMLElement {
  return h(
    'li',
    { class: tip.id === opened ? 'row selected' : 'row' },
    h(
      'button',
      { type: 'button', class: 'pick', 'data-key': 't' + tip.id, 'aria-current': tip.id === opened ? 'true' : undefined, onclick: () => ask({ type: 'tip_open', id: tip.id }) },
      h('span', {}, t('received', { t: when(tip.received) })),
      h('span', { class: 'meta' }, ' ' + t('counts', { f: tip.followups, r: tip.replies })),
      h('span', { class: 'meta holder' }, ' · ' + holderWords(tip.holder)),
    ),
    takeButton(tip.id, tip.holder, 'take' + tip.id),
  );
}

function thread(tip: OpenedTip): HTMLElement {
  const item = (who: string, text: string | null, cls: string) => h('li', { class: 'line ' + cls }, h('span', { class: 'who' }, who), h('span', { class: 'text' }, text ?? t('unreadable')));
  return h(
    'ol',
    { class: 'transcript', id: 'transcript', tabindex: 0, 'aria-label': t('tipHeading') },
    item(t('followup'), tip.text, 'them'),
    ...tip.followups.map((f) => item(t('followup'), f, 'them')),
    ...tip.replies.map((r) => item(`${t('reply')} · ${t('replyBy', { by: r.by ?? undefined, t: r.filed ? when(r.filed) : t('thisShift') })}`, r.text, 'me')),
  );
}

function tipPane(s: State): HTMLElement {
  const tip = s.opened_tip;
  if (!tip) return h('section', { class: 'pane empty', 'aria-labelledby': 'pane-title' }, h('h2', { id: 'pane-title' }, t('tipsTitle')), h('p', {}, s.inbox ? t('pickTip') : t('noInbox')));
  return h(
    'section',
    { class: 'pane', 'aria-labelledby': 'pane-title' },
    h(
      'div',
      { class: 'pane-head' },
      h('h2', { id: 'pane-title' }, t('tipHeading')),
      h('span', { class: 'meta' }, tip.category ? `${t('category')}: ${tip.category}` : ''),
      h('span', { class: 'meta holder' }, holderWords(tip.holder)),
      h(
        'div',
        { class: 'actions' },
        takeButton(tip.id, tip.holder, 'take'),
        h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'data-key': 'handled',
            onclick: () => {
              askFirst(t('confirmHandled'), t('handled'), () => ask({ type: 'tip_handled', id: tip.id }));
            },
          },
          t('handled'),
        ),
      ),
    ),
    keepsTip(s.holds),
    tip.sealed_by_relay ? h('p', { class: 'warning' }, t('byRelay')) : null,
    thread(tip),
    tip.replyable === null ? composer({ tip: tip.id }, tip.draft, t('writeTip'), true) : h('p', { class: 'meta' }, worded(tip.replyable)),
  );
}

/** The tips screen for the snapshot `s`. */
export function tips(s: State): HTMLElement[] {
  const opened = s.opened_tip?.id;
  const list = h(
    'section',
    { 'aria-labelledby': 'tips-title' },
    h('h2', { id: 'tips-title' }, `${t('tipsTitle')} (${s.tips.length})`),
    s.tips.length
      ? h(
          'ul',
          { class: 'rows' },
          ...s.tips.map((tip) => tipRow(tip, opened)),
        )
      : h('p', { class: 'meta' }, t('noTips')),
    h('button', { type: 'button', 'data-key': 'refresh', onclick: () => ask({ type: 'tips_refresh' }) }, t('refresh')),
  );
  return [h('nav', { class: 'side', 'aria-label': t('tips') }, list), tipPane(s)];
}
