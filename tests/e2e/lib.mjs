// Shared browser helpers for the visapath end-to-end flow and the app benchmark.
// Uses the system Chromium (/usr/bin/chromium) through playwright-core: nothing is downloaded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** A fresh Chromium profile in a temp dir; returns { context, page, close }. */
export async function openBrowser({ width = 1400, height = 1000 } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'visapath-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width, height },
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = context.pages()[0] || (await context.newPage());
  const close = async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, page, close };
}

/** Load the app and wait until start-up is done and the chat input is usable. */
export async function openApp(page, url, timeout = 180_000) {
  if (!page.url().startsWith(url)) await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
  await chatInput(page).waitFor({ state: 'visible', timeout });
  await waitIdle(page, timeout);
}

export function chatInput(page) {
  return page.locator('[data-testid="stChatInput"] textarea:visible');
}

/** Wait until Streamlit has finished the current script run: no running indicator and no stale
 *  (faded) elements, for 300 ms in a row. */
export async function waitIdle(page, timeout = 60_000) {
  const busy = () => page.evaluate(() => !!document.querySelector(
    '[data-testid^="stStatusWidgetRunning"], [data-stale="true"]'));
  const deadline = Date.now() + timeout;
  await page.waitForTimeout(100);
  let quietSince = null;
  while (Date.now() < deadline) {
    if (await busy()) quietSince = null;
    else if (quietSince === null) quietSince = Date.now();
    else if (Date.now() - quietSince >= 300) return;
    await page.waitForTimeout(50);
  }
  throw new Error('the app is still running after the timeout');
}

/** Ask a question in the chat; resolves when a new answer with a source card is shown. */
export async function ask(page, question, timeout = 60_000) {
  const answers = page.locator('[data-testid="stChatMessage"] .vp-answer');
  const before = await answers.count();
  const input = chatInput(page);
  await input.click();
  await input.fill(question);
  const started = Date.now();
  await input.press('Enter');
  await page.waitForFunction(
    (n) => {
      const msgs = document.querySelectorAll('[data-testid="stChatMessage"]');
      const answers = document.querySelectorAll('[data-testid="stChatMessage"] .vp-answer');
      if (answers.length <= n) return false;
      const last = msgs[msgs.length - 1];
      return !!last && (last.querySelector('.vp-card') || last.querySelector('.vp-declined'));
    },
    before, { timeout, polling: 20 },
  );
  const finishedAt = Date.now();
  const seconds = (finishedAt - started) / 1000;
  await waitIdle(page, timeout);  // then read the finished answer (timing stops at the first card)
  const last = page.locator('[data-testid="stChatMessage"]').last();
  return {
    seconds,
    finishedAt,
    answer: (await last.locator('.vp-answer').innerText()).trim(),
    cards: await last.locator('.vp-card').count(),
    highlighted: await last.locator('.vp-card mark').count(),
  };
}

/** Go to one of the app's pages through its navigation (top links; a menu on narrow screens). */
export async function openPage(page, name) {
  const link = page.locator('[data-testid="stTopNavLink"]:visible', { hasText: name });
  if (await link.count()) {
    await link.first().click();
  } else {  // narrow screens fold the page links into the sidebar navigation
    await openSidebar(page);
    await page.locator('[data-testid="stSidebarNavLink"]', { hasText: name }).first().click();
    await waitIdle(page);
    await closeSidebar(page);
  }
  await page.waitForURL((u) => u.pathname.endsWith(`/${name.toLowerCase()}`) || name === 'Chat', { timeout: 15_000 })
    .catch(() => {});
  await waitIdle(page);
}

/** Close the sidebar when it covers the page (phones). */
export async function closeSidebar(page) {
  const button = page.locator('[data-testid="stSidebarCollapseButton"] button');
  if (await button.count()) { await button.first().click({ force: true }); await page.waitForTimeout(500); }
}

/** The height of the page's scrolling content (Streamlit scrolls an inner container, not the document). */
export function pageHeight(page) {
  return page.evaluate(() => {
    const scroller = document.querySelector('[data-testid="stAppScrollToBottomContainer"], [data-testid="stMain"]');
    return Math.max(document.documentElement.scrollHeight, scroller ? scroller.scrollHeight : 0);
  });
}

/** Open the sidebar if it is collapsed (it starts collapsed on narrow screens). */
export async function openSidebar(page) {
  const content = page.locator('[data-testid="stSidebarContent"]');
  if (await content.isVisible() && (await content.boundingBox())?.x >= 0) return;
  await page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first().click();
  await page.waitForTimeout(400);
}

export function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}
