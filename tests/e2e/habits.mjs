// Chat habits and layout in a real Chromium, on a phone (390x844) and a laptop (1366x900):
// input pinned while answers grow, collapsed cards whose [n] chips open them, official links,
// a reload that restores the conversation, thumbs, nothing cut off, and the Profile timeline.
//
// Usage: APP_URL=... ARTIFACTS=test-artifacts/e2e SIZES='[[390,844],[1366,900]]' node tests/e2e/habits.mjs
// Prints one JSON object { sizes: { "390x844": {...}, ... } }; exits non-zero when a step fails.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ask, chatInput, closeSidebar, fail, openApp, openBrowser, openPage, openSidebar, pageHeight, waitIdle } from './lib.mjs';

const url = process.env.APP_URL || fail('APP_URL is required');
const out = process.env.ARTIFACTS || 'test-artifacts/e2e';
const sizes = JSON.parse(process.env.SIZES || '[[390,844],[1366,900]]');
const questions = JSON.parse(process.env.QUESTIONS || JSON.stringify([
  'How long is the STEM OPT extension?', 'What is the cap-gap extension?', 'Can I work on an H-4 EAD?']));
mkdirSync(out, { recursive: true });

/** What is cut off: elements wider than the viewport, and whether the page scrolls sideways. */
const overflow = (page) => page.evaluate(() => {
  const w = window.innerWidth;
  const wide = [...document.querySelectorAll('[data-testid="stMain"] *')]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'fixed'; })
    .filter((e) => !e.closest('.vp-passage, .vp-posting, [data-testid="stVegaLiteChart"], pre'))
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`.slice(0, 80));
  return { scrollsSideways: document.documentElement.scrollWidth > w + 1, wide: [...new Set(wide)].slice(0, 5) };
});

const result = { sizes: {} };
for (const [width, height] of sizes) {
  const name = `${width}x${height}`;
  const r = { };
  result.sizes[name] = r;
  const { page, close } = await openBrowser({ width, height });
  const shot = async (file, fullPage = false) => {
    await waitIdle(page).catch(() => {});
    await page.screenshot({ path: join(out, `${name}-${file}`), fullPage });
  };
  try {
    await openApp(page, url);
    const sidebar = await page.locator('[data-testid="stSidebarContent"]').boundingBox();
    r.sidebar_open_at_start = !!sidebar && sidebar.x >= 0 && sidebar.width > 50
      && await page.locator('[data-testid="stSidebar"]').getAttribute('aria-expanded') !== 'false';
    await shot('10-empty.png');

    r.answers = [];
    for (const q of questions) r.answers.push(await ask(page, q));
    const input = await chatInput(page).boundingBox();
    r.input_in_view = !!input && input.y >= 0 && input.y + input.height <= height + 1;
    r.page_height = await pageHeight(page);
    r.cards = await page.locator('details.vp-card').count();
    r.open_cards = await page.locator('details.vp-card[open]').count();
    r.official = await page.locator('details.vp-card summary a.vp-official').evaluateAll(
      (as) => as.map((a) => ({ href: a.href, target: a.target, visible: a.offsetParent !== null })));
    r.overflow = await overflow(page);
    await shot('11-three-answers.png');

    // The first answer's first chip opens its card and brings it into view.
    const chip = page.locator('[data-testid="stChatMessage"] a.vp-ref').first();
    await chip.scrollIntoViewIfNeeded();
    const target = (await chip.getAttribute('href')).slice(1);
    await chip.click();
    await page.waitForTimeout(700);
    r.chip_opened = await page.evaluate((id) => document.getElementById(id)?.open === true, target);
    r.chip_card_in_view = await page.evaluate((id) => {
      const b = document.getElementById(id)?.getBoundingClientRect();
      return !!b && b.top < window.innerHeight && b.bottom > 0;
    }, target);
    r.opened_highlights = await page.locator(`#${target} mark`).count();
    await shot('12-chip-opened.png');

    // Thumbs on the last answer, then a reload: same conversation, same rating.
    const thumbs = page.locator('[data-testid="stChatMessage"]').last().locator('[data-testid="stFeedback"] button, [data-testid*="Feedback"] button');
    r.thumbs = await thumbs.count();
    if (r.thumbs >= 1) { await thumbs.first().click(); await waitIdle(page); }
    const copy = page.locator('[data-testid="stChatMessage"]').last().locator('button.vp-copy');
    await copy.click();
    await page.locator('button.vp-copy', { hasText: 'Copied' }).first().waitFor({ timeout: 5_000 });
    r.copied = await page.evaluate(() => navigator.clipboard.readText());
    r.url = page.url();
    await page.reload({ waitUntil: 'domcontentloaded' });
    await openApp(page, url);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="stChatMessage"]').length >= n,
      questions.length * 2, { timeout: 30_000 }).catch(() => {});
    r.after_reload_messages = await page.locator('[data-testid="stChatMessage"]').count();
    r.after_reload_url = page.url();

    // Sidebar: conversations listed (opened on a phone, where it starts collapsed).
    await openSidebar(page);
    r.listed = await page.locator('[data-testid="stSidebar"] button', { hasText: questions[0].slice(0, 20) }).count();
    r.sidebar_menu_inline = await page.locator('[data-testid="stSidebar"] [class*="st-key-conv-row-"]').first().evaluate(
      (row) => { const b = row.querySelector('[data-testid="stButton"]')?.getBoundingClientRect();
        const m = row.querySelector('[data-testid="stPopover"]')?.getBoundingClientRect();
        return !!b && !!m && Math.abs((b.top + b.bottom) / 2 - (m.top + m.bottom) / 2) < 12 && m.right <= row.getBoundingClientRect().right + 1; })
      .catch(() => null);
    await shot('13-sidebar.png');
    if (width < 700) await closeSidebar(page);

    // Profile: save dates, the timeline chart and its cited rows appear.
    await openPage(page, 'Profile');
    await page.getByRole('combobox', { name: /Current US status/ }).click();
    await page.getByRole('option', { name: 'F-1 OPT', exact: true }).click();
    await waitIdle(page);
    await page.getByRole('checkbox', { name: 'STEM degree' }).check({ force: true });
    await waitIdle(page);
    const dateField = page.locator('[data-testid="stDateInput"]', { hasText: 'Work authorization end date' });
    await dateField.getByRole('spinbutton').first().click();
    await page.keyboard.type('20270630');  // year, month, day segments
    await page.keyboard.press('Tab');
    await waitIdle(page);
    await page.getByRole('button', { name: /Save profile/ }).click();
    await page.getByText('Profile saved.').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first()
      .waitFor({ timeout: 30_000 });
    r.timeline_rows = await page.locator('.vp-tl').allInnerTexts();
    r.timeline_chips = await page.locator('.vp-tl a.vp-ref').count();
    r.profile_overflow = await overflow(page);
    await page.locator('[data-testid="stVegaLiteChart"]').first().scrollIntoViewIfNeeded();
    await shot('14-timeline.png');
  } catch (err) {
    await shot('error.png', true).catch(() => {});
    r.error = String(err && err.message ? err.message : err);
    result.error = `${name}: ${r.error}`;
  }
  await close();
}
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
