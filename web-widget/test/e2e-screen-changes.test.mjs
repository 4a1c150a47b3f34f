// Issue 23 items 3, 4, 5, 6 and 8, in Chromium against a real relay and the Rust
// coordinator: where the focus lands after every screen change, the page behind the open
// launcher inert, one stable live region that says each change once, the language switch
// that waits for Enter, and the chat screen on a 390×844 phone.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { axe, browserSuite, claimedChat } from './suite.mjs';
import { startRelay } from './harness.mjs';

const s = browserSuite();
let coord;
before(async () => {
  ({ coord } = await s.ready);
  await coord.cmd('duty');
});

/** What has the focus: `h2 "Conversation ended"`, `#ll-message`, `body`. */
const focusOf = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'body';
    return el.id ? '#' + el.id : `${el.tagName.toLowerCase()} "${el.textContent.trim()}"`;
  });

async function focusIs(page, expected, when) {
  // The focus moves in the same task as the redraw; give the page that task.
  for (let i = 0; i < 20 && (await focusOf(page)) !== expected; i++) await page.waitForTimeout(50);
  assert.equal(await focusOf(page), expected, `focus after ${when}`);
}

/** The ended screen's heading takes the focus and is read with its description: the reason. */
/** The reason read with the heading when the transcript stays on screen below it. */
const KEPT = 'The conversation stays on this screen until you leave or wipe it. It is not saved anywhere.';

async function endReasonRead(page, reason) {
  const described = await page.evaluate(() => {
    const id = document.activeElement?.getAttribute('aria-describedby');
    return id ? document.getElementById(id)?.textContent : null;
  });
  assert.equal(described, reason, 'the focused heading describes why the chat ended');
}

test('focus after every screen change: code not found, follow-up sent, the coordinator ending mid-typing, End and wipe, a relay restart', async () => {
  const { context, page } = await s.open('/help');
  // a real tip and its code, then the code looked up while the relay has no such tip
  await page.getByRole('button', { name: 'Report a tip' }).click();
  await page.getByLabel('What would you like to tell us?').fill('focus test');
  await page.getByRole('button', { name: 'Send the tip' }).click();
  await page.getByRole('heading', { name: 'Your tip was received' }).waitFor({ timeout: 30000 });
  await focusIs(page, 'h1 "Your tip was received"', 'the receipt');
  const code = (await page.locator('.ll-code .ll-group').allTextContents()).join('-');
  await page.getByRole('button', { name: 'I have it' }).click();
  await page.getByRole('button', { name: 'I have a receipt code' }).click();
  await page.route(s.relay.base + '/v1/receipt', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"v":1,"error":"not found"}' }));
  await page.getByLabel('Receipt code').fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('No tip was found for this code').waitFor({ timeout: 30000 });
  await focusIs(page, '#ll-receipt-error', 'code not found');
  const field = page.getByLabel('Receipt code');
  assert.equal(await field.getAttribute('aria-invalid'), 'true', 'the refused code is marked invalid');
  assert.match(await field.getAttribute('aria-describedby'), /\bll-receipt-error\b/, 'and its reason is tied to it');
  // a typo is caught at once: the focus stays in the field, the reason tied to it
  await field.fill('2345');
  await page.getByRole('button', { name: 'Open' }).click();
  await focusIs(page, '#ll-receipt', 'a mistyped code');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  const reason = await page.locator('#' + (await field.getAttribute('aria-describedby')).split(' ')[0]).textContent();
  assert.match(reason, /characters|character|check/i, `the described-by text is the reason: ${reason}`);
  await page.unroute(s.relay.base + '/v1/receipt');
  await field.fill(code);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('heading', { name: 'Replies' }).waitFor({ timeout: 30000 });
  await focusIs(page, 'h1 "Replies"', 'opening the replies');
  await page.getByLabel('Add more information or answer').fill('one more thing');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('Sent. Thank you.').waitFor({ timeout: 30000 });
  await focusIs(page, '#ll-followup-status', 'the follow-up send');
  await page.getByRole('button', { name: 'Back to start' }).click();
  await focusIs(page, 'h1 "Lifeline — confidential help"', 'back to start');

  // the coordinator ends while the visitor is typing
  await claimedChat(page, coord);
  await page.getByLabel('Your message').focus();
  await page.keyboard.type('I was about to s');
  await coord.cmd('end');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await focusIs(page, 'h1 "Conversation ended"', 'the coordinator ending mid-typing');
  await endReasonRead(page, 'The conversation has ended and nothing of it is kept on this device.');
  await page.getByRole('button', { name: 'Back to start' }).click();

  // End and wipe
  await claimedChat(page, coord);
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await focusIs(page, 'h1 "Conversation ended"', 'End and wipe');
  await endReasonRead(page, 'The conversation has ended and nothing of it is kept on this device.');
  await page.getByRole('button', { name: 'Back to start' }).click();
  await context.close();

  // a relay restart seen by the page: the socket closes (1012), the chat resumes, the visitor
  // keeps typing where they were
  const second = await s.open('/help');
  let socket = null;
  await second.page.routeWebSocket(/\/v1\/visitor$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => server.send(m));
    server.onMessage((m) => ws.send(m));
    socket ??= { ws, server };
  });
  await claimedChat(second.page, coord);
  await second.page.getByLabel('Your message').focus();
  await second.page.keyboard.type('still here');
  socket.ws.close({ code: 1012, reason: 'restart' });
  socket.server.close();
  await second.page.getByText('Connection lost. Reconnecting…').waitFor();
  await focusIs(second.page, '#ll-message', 'the connection lost');
  await second.page.getByText(`You are talking to ${coord.alias}`).waitFor({ timeout: 20000 });
  await focusIs(second.page, '#ll-message', 'the chat resumed');
  assert.equal(await second.page.getByLabel('Your message').inputValue(), 'still here', 'nothing typed was lost');
  await second.page.getByRole('button', { name: 'End and wipe' }).click();
  await focusIs(second.page, 'h1 "Conversation ended"', 'End and wipe after a resume');
  await second.context.close();
});

test('the open launcher: the page behind is inert, the chat ending inside it puts the focus on its heading', async () => {
  const { context, page } = await s.open('/');
  await page.getByRole('button', { name: 'Get help' }).click();
  await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
  const inert = () => page.evaluate(() => [...document.querySelectorAll('[inert]')].map((el) => el.tagName.toLowerCase() + '.' + el.className));
  const behind = await inert();
  assert.ok(behind.includes('main.'), `the host page's content is inert: ${behind}`);
  assert.ok(behind.includes('button.ll-launcher'), `the launcher behind the panel is inert: ${behind}`);
  assert.equal(await page.locator('.ll-panel[inert], .ll-panel [inert]').count(), 0, 'the panel itself is not');
  assert.deepEqual(await axe(page), [], 'axe on the open launcher over the host page');
  assert.ok(await page.locator('a[href="/widget/sri.json"]').evaluate((a) => a.closest('[inert]') !== null), "the host page's links are inert");
  await claimedChat(page, coord);
  await page.getByLabel('Your message').focus();
  await coord.cmd('end');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await focusIs(page, 'h2 "Conversation ended"', 'the chat ending inside the launcher');
  await page.getByRole('button', { name: 'Close' }).click();
  assert.deepEqual(await inert(), [], 'closed: nothing is left inert');
  await focusIs(page, 'button "Get help"', 'closing the launcher');
  await context.close();
});

test('screen readers hear each change once: one stable live region, the log speaks additions only, the numbers are never re-read', async () => {
  const { context, page } = await s.open('/help');
  await page.getByRole('button', { name: 'Talk to someone now' }).click();
  await page.getByText('You are number 1 in line.').waitFor();
  assert.equal(await page.locator('[aria-live] .ll-numbers, [role=status] .ll-numbers, [role=log] .ll-numbers, [role=alert] .ll-numbers').count(), 0, 'no help number inside a live region');
  assert.equal(await page.locator('.ll-status[aria-live], .ll-status [aria-live], .ll-status [role=status], .ll-status[role=status]').count(), 0, 'the status area is not live');
  assert.equal(await page.getByRole('log').getAttribute('aria-relevant'), 'additions');
  // Record every change inside a live region from here on.
  await page.evaluate(() => {
    window.said = document.querySelector('.ll-said[role=status]');
    window.heard = [];
    window.logAdded = [];
    window.otherLive = [];
    new MutationObserver((records) => {
      for (const r of records) {
        const at = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        const region = at?.closest('[aria-live], [role=log], [role=status], [role=alert]');
        if (!region) continue;
        if (region === window.said) {
          if (r.type === 'childList' && r.target === region && r.addedNodes.length) window.heard.push(region.textContent);
        } else if (region.getAttribute('role') === 'log') {
          for (const n of r.addedNodes) window.logAdded.push(n.nodeType === 1 ? n.className : '#text');
        } else if (!region.classList.contains('ll-counter')) window.otherLive.push(region.className + ': ' + r.type);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await coord.cmd('wait_claim');
  await page.getByText(`You are talking to ${coord.alias}`).waitFor();
  await coord.cmd('send First message.');
  await page.getByRole('log').getByText('First message.').waitFor();
  await page.getByLabel('Your message').fill('Mine');
  await page.keyboard.press('Enter');
  await coord.cmd('expect Mine');
  await page.locator('.ll-me .ll-mark[data-mark="delivered"]').waitFor();
  await coord.cmd('send Second message.');
  await page.getByRole('log').getByText('Second message.').waitFor();
  await page.waitForTimeout(200);
  const seen = await page.evaluate(() => ({ heard: window.heard, logAdded: window.logAdded, otherLive: window.otherLive, same: document.contains(window.said) }));
  assert.ok(seen.same, 'the live region is the same element for the whole chat');
  assert.deepEqual(seen.otherLive, [], 'no other live region changed');
  assert.ok(seen.logAdded.every((c) => c.startsWith('ll-msg')), `the log only ever gains whole messages: ${seen.logAdded}`);
  assert.equal(seen.logAdded.filter((c) => c === 'll-msg ll-me').length, 1, 'own message added once (its marks change in place, not announced)');
  assert.equal(seen.logAdded.filter((c) => c === 'll-msg ll-them').length, 2);
  assert.deepEqual(seen.heard, [`You are talking to ${coord.alias}`], 'the status said once, not after each message and mark');
  // the end: the focused heading is read with the reason
  await coord.cmd('end');
  await page.getByRole('heading', { name: 'Conversation ended' }).waitFor();
  await focusIs(page, 'h1 "Conversation ended"', 'the end');
  await endReasonRead(page, KEPT);
  const endedText = await page.locator('.lifeline').innerText();
  assert.ok(!endedText.includes('nothing of it is kept'), 'no word contradicts the transcript still shown');
  assert.equal(endedText.split('stays on this screen').length, 2, 'said once');
  await context.close();
});

test('nobody on duty in a chat: no message box is offered, the numbers and the tip path are, and Back leaves the line', async () => {
  // a relay of its own, with no coordinator at all, and a line of one: whether the next
  // visitor finds it full says whether the first left it; the resume token kept, to see it go
  const empty = await startRelay({ LIFELINE_SESSIONS_QUEUE_MAX: '1', LIFELINE_WIDGET_RESUME_IN_SESSION_STORAGE: 'true' });
  try {
    const { context, page } = await s.open('/help', {}, { base: empty.base });
    await page.getByRole('button', { name: 'Talk to someone now' }).click();
    await page.getByText('No one can answer right now').waitFor({ timeout: 15000 });
    assert.equal(await page.getByLabel('Your message').isVisible(), false, 'no message box');
    assert.ok(await page.getByRole('button', { name: 'Leave a tip instead' }).isVisible());
    assert.ok(await page.getByRole('link', { name: '112' }).isVisible());
    await s.shot(page, '50-chat-no-one-on-duty');
    assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'in the line: its resume token kept');
    // A conversation that never began: Back goes home, not to a "Conversation ended" screen.
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    await page.getByRole('button', { name: 'Talk to someone now' }).waitFor();
    assert.equal(await page.getByText('Conversation ended').count(), 0);
    await focusIs(page, 'h1 "Lifeline — confidential help"', 'Back from the line');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'no resume token left');
    // Left, not abandoned to expire: the one place in the line is free for the next visitor.
    const next = await s.open('/help', {}, { base: empty.base });
    await next.page.getByRole('button', { name: 'Talk to someone now' }).click();
    await next.page.getByText(/No one can answer right now|The line is full right now/).first().waitFor({ timeout: 15000 });
    assert.equal(await next.page.getByText('The line is full right now').count(), 0, 'the place was given back');
    await next.context.close();
    await context.close();
  } finally {
    empty.stop();
  }
});

test('a conversation handed back to the line with no one left on duty keeps its transcript, and offers no Back that would wipe it', async () => {
  const { context, page } = await s.open('/help');
  await claimedChat(page, coord);
  await coord.cmd('send We will find someone for you.');
  await page.getByRole('log').getByText('We will find someone for you.').waitFor();
  await coord.cmd('release_off');
  await page.getByText('No one can answer right now').waitFor({ timeout: 15000 });
  assert.ok(await page.getByRole('log').getByText('We will find someone for you.').isVisible(), 'the transcript stays');
  assert.equal(await page.getByRole('button', { name: 'Back', exact: true }).count(), 0, 'no Back that would wipe it');
  assert.ok(await page.getByRole('button', { name: 'End and wipe' }).isVisible());
  await page.getByRole('button', { name: 'End and wipe' }).click();
  await coord.cmd('duty');
  await context.close();
});

/** The newest message is on screen: inside the log, above the footer (never behind it), with room. */
async function newestInSight(page, { width, height, minLog }) {
  const at = await page.evaluate(() => {
    const box = (sel) => document.querySelector(sel)?.getBoundingClientRect().toJSON();
    return { last: box('.ll-log > .ll-msg:last-child'), log: box('.ll-log'), footer: box('.ll-footer') };
  });
  const { last, log, footer } = at;
  const where = `a ${width}×${height} phone: ${JSON.stringify(at)}`;
  assert.ok(last && log && footer, `log, message and footer drawn on ${where}`);
  assert.ok(last.bottom <= log.bottom + 1 && last.bottom <= footer.top + 1, `the newest message ends inside the log and above the footer on ${where}`);
  assert.ok(last.bottom - Math.max(log.top, 0) >= 40, `the newest message is seen, not a sliver, on ${where}`);
  assert.ok(log.height >= minLog && footer.bottom <= height + 1, `the log keeps ${minLog} px, the footer is on screen, on ${where}`);
}

// 390×844: a common phone; 360×740: a common cheap one, where the language list, the keyboard
// hint and the message label once left the log about two messages; 320×568: an old small
// one, where header and footer once left the log no line.
const PHONES = [
  ['page', { width: 390, height: 844, minLog: 300 }],
  ['launcher', { width: 390, height: 844, minLog: 300 }],
  ['page', { width: 360, height: 740, minLog: 250 }],
  ['page', { width: 320, height: 568, minLog: 90 }],
  ['launcher', { width: 320, height: 568, minLog: 90 }],
];
for (const [mode, phone] of PHONES) {
  const { width, height } = phone;
  test(`a ${width}×${height} phone, ${mode} mode: Send and End and wipe on screen while waiting and chatting, no empty box, the newest message in sight`, async () => {
    const { context, page } = await s.open(mode === 'page' ? '/help' : '/', { viewport: { width, height } });
    if (mode === 'launcher') await page.getByRole('button', { name: 'Get help' }).click();
    await page.getByRole('button', { name: 'Talk to someone now' }).click();
    await page.getByText('Waiting for someone to answer').waitFor();
    const onScreen = async (name, when) => {
      const box = await page.getByRole('button', { name, exact: true }).boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= height, `${name} on screen ${when}: ${JSON.stringify(box)}`);
    };
    const log = await page.getByRole('log').boundingBox();
    assert.ok(!log || log.height < 2, `no empty bordered box while waiting: ${JSON.stringify(log)}`);
    await s.shot(page, `51-${mode}-${width}-waiting`);
    await onScreen('Send', 'while waiting');
    await onScreen('End and wipe', 'while waiting');
    await coord.cmd('wait_claim');
    await page.getByText(`You are talking to ${coord.alias}`).waitFor();
    for (let i = 1; i <= 6; i++) await coord.cmd(`send Message number ${i}, long enough to wrap over two lines on a phone.`);
    await page.getByRole('log').getByText('Message number 6').waitFor();
    await s.shot(page, `51-${mode}-${width}-chatting`);
    await newestInSight(page, phone);
    await onScreen('Send', 'while chatting');
    await onScreen('End and wipe', 'while chatting');
    await page.getByRole('button', { name: 'End and wipe' }).click();
    await context.close();
  });
}

test('the language switch: arrow keys on the closed select only move the choice, Enter applies it', async () => {
  const { context, page } = await s.open('/help');
  await page.locator('#ll-lang').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'not switched by the arrows');
  assert.ok(await page.getByRole('button', { name: 'Talk to someone now' }).isVisible());
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Hablar con alguien ahora' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  await focusIs(page, '#ll-lang', 'the switch');
  // moved by the arrows then left with Tab: nothing changes, the select shows the language in use
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Tab');
  await page.waitForTimeout(200);
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  assert.equal(await page.locator('#ll-lang').inputValue(), 'es');
  // a pointer (or the opened list) applies at once
  await page.locator('#ll-lang').selectOption('fr');
  await page.getByRole('button', { name: /Parler à quelqu'un/ }).waitFor();
  await context.close();
});
