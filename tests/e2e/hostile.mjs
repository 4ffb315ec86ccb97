// Postings and file names full of markup, in a real Chromium: uploaded, pasted, listed, cited in
// chat, quoted in a draft and deleted (toast). Nothing may run, load or link: no script, no image
// or frame fetched, no clickable planted link. Everything planted is shown as text instead.
//
// Usage: APP_URL=... TRACKER=http://127.0.0.1:PORT ARTIFACTS=... node tests/e2e/hostile.mjs
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ask, fail, openApp, openBrowser, openPage, waitIdle } from './lib.mjs';

const url = process.env.APP_URL || fail('APP_URL is required');
const tracker = process.env.TRACKER || fail('TRACKER is required');
const out = process.env.ARTIFACTS || 'test-artifacts/e2e';
mkdirSync(out, { recursive: true });

const posting = (company) => [
  `![px](${tracker}/title-${company}.png) ${company} <img src="${tracker}/img-${company}.png" onerror="window.__pwned='img'"> - Machine Learning Engineer`,
  `Location: <iframe src="${tracker}/frame-${company}"></iframe> Austin, TX`,
  `<script>window.__pwned='script'</script> [Apply here](${tracker}/link-${company}) or www.evil-example.com or ${tracker}/bare-${company}`,
  `:red[Urgent] :material/warning: **bold** <a href="${tracker}/anchor-${company}">contact</a>`,
  `${company} will sponsor H-1B visas for this role.`,
  `Requirements: Master's degree and 2+ years of experience with PyTorch. Salary: $150,000 - $180,000 per year.`,
].join('\n');

const result = { requests: [], dialogs: [] };
const { page, close } = await openBrowser({ width: 1366, height: 1400 });
const appHost = new URL(url).host;
page.on('request', (r) => {
  const u = r.url();
  if (!u.startsWith('data:') && (new URL(u).host !== appHost || /pixel|title-|img-|frame-|link-|bare-/.test(u))) {
    result.requests.push(u);
  }
});
page.on('dialog', async (d) => { result.dialogs.push(d.message()); await d.dismiss(); });
const shot = async (name) => { await waitIdle(page).catch(() => {}); await page.screenshot({ path: join(out, name), fullPage: true }); };

try {
  await openApp(page, url);
  await openPage(page, 'Profile');  // a status, so drafts can be written
  await page.getByRole('combobox', { name: /Current US status/ }).click();
  await page.getByRole('option', { name: 'H-1B', exact: true }).click();
  await waitIdle(page);
  await page.getByRole('button', { name: /Save profile/ }).click();
  await page.getByText('Profile saved.').waitFor({ timeout: 30_000 });

  await openPage(page, 'Postings');
  await page.locator('[data-testid="stFileUploader"] input[type="file"]').setInputFiles([
    { name: '![f](pixel-file.png) <img src=x onerror=alert(1)>.txt', mimeType: 'text/plain', buffer: Buffer.from(posting('Zarkon')) },
    { name: '[click](javascript:alert(2)) **x**.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% broken\n') },
  ]);
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.innerText.includes('Analyze uploads'));
    return b && !b.disabled;
  }, null, { timeout: 30_000 });
  await page.getByRole('button', { name: /Analyze uploads/ }).click();
  await page.locator('.vp-verdict-label').first().waitFor({ timeout: 90_000 });
  await waitIdle(page);
  result.errors = await page.locator('[data-testid="stAlertContentError"]').allInnerTexts();
  await page.getByRole('textbox', { name: 'Title (optional)' }).fill(`![t](${tracker}/typed-title.png) <b>Quorra</b> [x](${tracker}/typed-link)`);
  await page.getByRole('textbox', { name: /paste a posting/ }).fill(posting('Quorra'));
  await page.getByRole('button', { name: /Analyze pasted text/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="stExpander"]').length >= 2, null, { timeout: 90_000 });
  await waitIdle(page);
  for (const summary of await page.locator('[data-testid="stExpander"] summary').all()) {
    if ((await summary.getAttribute('aria-expanded')) === 'false') { await summary.click(); await waitIdle(page); }
  }
  result.expanders = await page.locator('[data-testid="stExpander"] summary').allInnerTexts();
  result.posting_text = await page.locator('.vp-posting').allInnerTexts();
  result.table_cells = await page.locator('[data-testid="stTable"] td').allInnerTexts();
  await shot('20-hostile-postings.png');

  await openPage(page, 'Chat');
  result.chat = await ask(page, 'Will Zarkon sponsor H-1B visas for this machine learning engineer role in Austin?');
  await page.locator('[data-testid="stChatMessage"] details.vp-card').evaluateAll((ds) => ds.forEach((d) => { d.open = true; }));
  result.chat_cards = await page.locator('[data-testid="stChatMessage"] details.vp-card').allInnerTexts();
  await shot('21-hostile-chat.png');

  await openPage(page, 'Drafts');
  await page.getByRole('combobox', { name: /About a posting/ }).click();
  result.draft_options = await page.getByRole('option').allInnerTexts();
  await page.getByRole('option').nth(1).click();
  await page.getByRole('button', { name: /Write draft/ }).click();
  const body = page.getByRole('textbox', { name: 'Draft (editable)' });
  await body.waitFor({ state: 'visible', timeout: 60_000 });
  await waitIdle(page);
  result.draft = await body.inputValue();
  await shot('22-hostile-draft.png');

  await openPage(page, 'Postings');
  await page.getByRole('button', { name: /Delete posting/ }).first().click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.locator('[data-testid="stToast"]').first().waitFor({ timeout: 30_000 });
  result.toasts = await page.locator('[data-testid="stToast"]').allInnerTexts();
  await shot('23-hostile-deleted.png');
  await page.waitForTimeout(1000);
} catch (err) {
  await shot('error-hostile.png').catch(() => {});
  result.error = String(err && err.message ? err.message : err);
}
result.pwned = await page.evaluate(() => window.__pwned ?? null).catch(() => 'unknown');
result.planted_links = await page.evaluate((t) => [...document.querySelectorAll('a[href]')].map((a) => a.href)
  .filter((h) => h.startsWith(t) || h.includes('evil-example') || h.startsWith('javascript:') || h.includes('pixel')), tracker);
result.planted_media = await page.evaluate((t) => [...document.querySelectorAll('img, iframe, video, audio, source')]
  .map((e) => e.src || '').filter((s) => s.startsWith(t) || s.includes('pixel') || s.endsWith('/x')), tracker);
result.strong_from_posting = await page.locator('.vp-posting b, .vp-posting strong').allInnerTexts();
await close();
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
