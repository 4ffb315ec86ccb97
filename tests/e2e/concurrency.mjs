// Answer times of the real app in Chromium while other sessions work, for bench/bench_concurrency.py.
// Usage: APP_URL=... MODE=upload PDF=/path/big.pdf QUESTIONS='[...]' node tests/e2e/concurrency.mjs
//        APP_URL=... MODE=crowd SESSIONS=20 PER_SESSION=3 QUESTIONS='[...]' node tests/e2e/concurrency.mjs
// MODE=upload: one session asks questions with nobody else busy (idle), then again while a second
//   session uploads PDF (loaded); each browser session is its own context (own cookies, own session).
// MODE=crowd: one session asks PER_SESSION questions alone (idle), then SESSIONS sessions at once.
// Prints one JSON object with the seconds of every answer.
import { ask, fail, openApp, openPage, waitIdle } from './lib.mjs';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './lib.mjs';

const url = process.env.APP_URL || fail('APP_URL is required');
const mode = process.env.MODE || 'upload';
const questions = JSON.parse(process.env.QUESTIONS || '[]');
if (questions.length < 2) fail('QUESTIONS must list at least two questions');

const browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-renderer-backgrounding', '--disable-background-timer-throttling'],
});
async function session() {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  return { context, page };
}
const result = { mode };
try {
  if (mode === 'upload') {
    const asker = await session();
    const uploader = await session();
    await openApp(asker.page, url);
    await openApp(uploader.page, url);
    const half = Math.floor(questions.length / 2);
    result.idle = [];
    for (const q of questions.slice(0, half)) result.idle.push((await ask(asker.page, q, 120_000)).seconds);

    await openPage(uploader.page, 'Postings');
    await uploader.page.locator('[data-testid="stFileUploader"] input[type="file"]').setInputFiles([process.env.PDF]);
    await uploader.page.waitForFunction(() => {
      const b = [...document.querySelectorAll('button')].find((x) => x.innerText.includes('Analyze uploads'));
      return b && !b.disabled;
    }, null, { timeout: 120_000 });
    const started = Date.now();
    await uploader.page.getByRole('button', { name: /Analyze uploads/ }).click();
    let uploadDone = null;
    const uploading = uploader.page.getByText(/Analyzed and saved 1 of 1|could not be analyzed|stopped after/)
      .first().waitFor({ timeout: 900_000 }).then(() => { uploadDone = Date.now(); });
    result.loaded = [];
    for (const q of questions.slice(half)) {
      if (uploadDone !== null) break;
      const r = await ask(asker.page, q, 300_000);
      result.loaded.push({ seconds: r.seconds, during_upload: uploadDone === null || uploadDone > Date.now() - r.seconds * 1000 });
    }
    await uploading;
    result.upload_seconds = (uploadDone - started) / 1000;
    result.upload_message = (await uploader.page.locator('[data-testid="stAlert"]').allInnerTexts())
      .map((t) => t.replace(/^[a-z_]+\s+/, '').replace(/\s+/g, ' ').trim()).join(' | ');  // drop the icon's name
  } else {
    const sessions = Number(process.env.SESSIONS || 20);
    const per = Number(process.env.PER_SESSION || 3);
    const alone = await session();
    await openApp(alone.page, url);
    result.idle = [];
    for (const q of questions.slice(0, per)) result.idle.push((await ask(alone.page, q, 120_000)).seconds);
    await alone.context.close();

    const crowd = [];
    for (let i = 0; i < sessions; i++) crowd.push(await session());
    const loadStarted = Date.now();
    result.page_load = await Promise.all(crowd.map(async (s) => {
      const t0 = Date.now();
      await openApp(s.page, url, 600_000);
      return (Date.now() - t0) / 1000;
    }));
    result.page_load_wall = (Date.now() - loadStarted) / 1000;
    result.answers = (await Promise.all(crowd.map(async (s, i) => {
      const times = [];
      for (let k = 0; k < per; k++) {
        const q = questions[(per + i * per + k) % questions.length];
        times.push((await ask(s.page, q, 600_000)).seconds);
      }
      return times;
    }))).flat();
  }
} catch (err) {
  result.error = String(err && err.message ? err.message : err);
}
await browser.close();
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
