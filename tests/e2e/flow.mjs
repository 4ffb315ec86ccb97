// The visapath user flow in a real Chromium: ask -> cited source card, save a profile,
// upload a PDF posting (plus a broken file in the same batch) -> verdict and evidence, make a draft.
//
// Usage: APP_URL=http://127.0.0.1:8501 POSTING_PDF=/tmp/posting.pdf BAD_FILE=/tmp/broken.pdf \
//        ARTIFACTS=test-artifacts/e2e EXPECT_VERDICT="Sponsors visas" node tests/e2e/flow.mjs
// Prints one JSON object with what it saw; exits non-zero (with a message) when a step fails.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ask, fail, openApp, openBrowser, openPage, waitIdle } from './lib.mjs';

const url = process.env.APP_URL || fail('APP_URL is required');
const pdf = process.env.POSTING_PDF || fail('POSTING_PDF is required');
const bad = process.env.BAD_FILE || '';
const out = process.env.ARTIFACTS || 'test-artifacts/e2e';
const expectVerdict = process.env.EXPECT_VERDICT || 'Sponsors visas';
const question = process.env.QUESTION || 'Can I change H-1B employers before 180 days?';
mkdirSync(out, { recursive: true });

const result = { steps: [] };
const { page, close } = await openBrowser({ width: 1400, height: 1800 });
const shot = async (name) => {
  const path = join(out, name);
  await waitIdle(page).catch(() => {});
  await page.screenshot({ path, fullPage: true });
  result.steps.push(path);
};

try {
  // 1. Start-up: first run builds the index with visible progress, then the chat is ready.
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  const preparing = page.getByText('Preparing visapath');
  result.startup_progress = await preparing.waitFor({ timeout: 15_000 }).then(() => true, () => false);
  if (result.startup_progress) {
    await page.screenshot({ path: join(out, '00-startup.png') });
    result.steps.push(join(out, '00-startup.png'));
  }
  await openApp(page, url);
  result.starters = await page.locator('button:has-text("?")').count();
  await shot('01-start.png');

  // 2. Chat: an answer with [n] markers and source cards whose cited sentences are highlighted.
  result.chat = await ask(page, question);
  if (result.chat.cards < 1) throw new Error('the answer shows no source card');
  result.chat.card_title = (await page.locator('.vp-card-title').first().innerText()).trim();
  result.chat.refs = await page.locator('[data-testid="stChatMessage"] .vp-answer .vp-ref').count();
  result.chat.disclaimer = await page.getByText('not legal advice').first().isVisible();
  await shot('02-chat-answer.png');

  // 2b. The conversation is listed in the sidebar; a new chat is empty; reopening brings it back.
  const listed = page.locator('[data-testid="stSidebar"] button', { hasText: question.slice(0, 30) });
  await listed.first().waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="stSidebar"] button', { hasText: 'New chat' }).click();
  await waitIdle(page);
  result.chat.after_new = await page.locator('[data-testid="stChatMessage"]').count();
  await listed.first().click();
  const cards = '[data-testid="stChatMessage"] .vp-card';
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, [cards, result.chat.cards],
    { timeout: 15_000 }).catch(() => {});
  result.chat.reopened_cards = await page.locator(cards).count();

  // 3. Profile: save a status; it is then used for posting notes and drafts.
  await openPage(page, 'Profile');
  await page.getByRole('textbox', { name: 'Name' }).fill('Priya');
  await page.getByRole('combobox', { name: /Current US status/ }).click();
  await page.getByRole('option', { name: 'F-1 STEM OPT extension' }).click();
  await page.getByRole('textbox', { name: 'Target role' }).fill('Machine learning engineer');
  await page.getByRole('button', { name: /Save profile/ }).click();
  await page.getByText('Profile saved.').waitFor({ timeout: 30_000 });
  result.profile_saved = true;
  await shot('03-profile.png');

  // 4. Postings: upload the PDF (and a broken file: its message shows, the PDF is still analysed).
  await openPage(page, 'Postings');
  const files = bad ? [pdf, bad] : [pdf];
  await page.locator('[data-testid="stFileUploader"] input[type="file"]').setInputFiles(files);
  await page.getByRole('button', { name: /Analyze uploads/ }).waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.innerText.includes('Analyze uploads'));
    return b && !b.disabled;
  }, null, { timeout: 30_000 });
  await page.getByRole('button', { name: /Analyze uploads/ }).click();
  const verdict = page.locator('.vp-verdict-label').first();
  await verdict.waitFor({ state: 'visible', timeout: 90_000 });
  await waitIdle(page);
  result.posting = {
    verdict: (await verdict.innerText()).trim(),
    evidence: await page.locator('.vp-posting mark.vp-ev:not(.vp-ev-ignored)').allInnerTexts(),
    requirements: await page.locator('[data-testid="stTable"], [data-testid="stDataFrame"]').count(),
    notes: await page.locator('.vp-note').count(),
    errors: await page.locator('[data-testid="stAlertContentError"]').allInnerTexts(),
  };
  if (!result.posting.verdict.includes(expectVerdict)) {
    throw new Error(`verdict "${result.posting.verdict}" is not "${expectVerdict}"`);
  }
  if (result.posting.evidence.length < 1) throw new Error('no evidence sentence is highlighted');
  await shot('04-posting.png');

  // 5. Drafts: a LinkedIn message about the uploaded posting, editable, with a character count.
  await openPage(page, 'Drafts');
  await page.getByRole('combobox', { name: /Channel/ }).click();
  await page.getByRole('option', { name: /LinkedIn message/ }).click();
  await page.getByRole('combobox', { name: /About a posting/ }).click();
  await page.getByRole('option').nth(1).click();
  await page.getByRole('button', { name: /Write draft/ }).click();
  const body = page.getByRole('textbox', { name: 'Draft (editable)' });
  await body.waitFor({ state: 'visible', timeout: 60_000 });
  await waitIdle(page);
  await page.locator('button.vp-copy').click();
  await page.locator('button.vp-copy', { hasText: 'Copied' }).waitFor({ timeout: 5_000 });
  result.draft = {
    copied: await page.evaluate(() => navigator.clipboard.readText()),
    body: await body.inputValue(),
    count: (await page.locator('.vp-count').first().innerText()).trim(),
    download: await page.getByRole('button', { name: /Download/ }).count(),
    citations: await page.locator('.vp-card').count(),
  };
  if (result.draft.body.length < 40) throw new Error('the draft is empty');
  await shot('05-draft.png');

  // 6. Knowledge panel.
  await openPage(page, 'Knowledge');
  await page.getByText('Guidance documents').waitFor();
  await shot('06-knowledge.png');
} catch (err) {
  await shot('error.png').catch(() => {});
  result.error = String(err && err.message ? err.message : err);
}
await close();
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
