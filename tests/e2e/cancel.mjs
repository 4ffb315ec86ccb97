// Start analysing a large upload, wait until its progress shows, then close the browser: the
// server must stop the work (checked by the caller in the server log and the data folder).
// Usage: APP_URL=... PDF=/path/big.pdf node tests/e2e/cancel.mjs
import { fail, openApp, openBrowser, openPage } from './lib.mjs';

const url = process.env.APP_URL || fail('APP_URL is required');
const { page, close } = await openBrowser();
const result = {};
try {
  await openApp(page, url);
  await openPage(page, 'Postings');
  await page.locator('[data-testid="stFileUploader"] input[type="file"]').setInputFiles([process.env.PDF]);
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.innerText.includes('Analyze uploads'));
    return b && !b.disabled;
  }, null, { timeout: 120_000 });
  await page.getByRole('button', { name: /Analyze uploads/ }).click();
  const progress = page.getByText(/1\/1 · (reading page|reading [0-9,]+ sentences|embedding|indexing)/).first();
  await progress.waitFor({ timeout: 300_000 });
  result.progress = (await progress.innerText()).trim();
  result.closedAt = Date.now();
} catch (err) {
  result.error = String(err && err.message ? err.message : err);
}
await close();  // the tab goes away mid-analysis
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
