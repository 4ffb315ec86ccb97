// Timings of the real app as seen in Chromium: page ready, first answer, then warm answers.
// Usage: APP_URL=http://127.0.0.1:8501 QUESTIONS='["q1","q2",...]' node tests/e2e/bench.mjs
// Prints one JSON object; absolute times are epoch milliseconds so the caller can add server start.
import { ask, chatInput, fail, openApp, openBrowser, pageHeight, waitIdle } from './lib.mjs';

const url = process.env.APP_URL || fail('APP_URL is required');
const questions = JSON.parse(process.env.QUESTIONS || '[]');
if (questions.length < 1) fail('QUESTIONS must list at least one question');

const { page, close } = await openBrowser();
const result = { browserAt: Date.now() };
try {
  const deadline = Date.now() + 300_000;
  for (;;) {  // the server may still be starting: retry until it serves the page
    try {
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 5_000 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await page.waitForTimeout(100);
    }
  }
  result.pageAt = Date.now();
  await chatInput(page).waitFor({ state: 'visible', timeout: 300_000 });
  result.readyAt = Date.now();
  const first = await ask(page, questions[0], 120_000);
  result.firstCardAt = first.finishedAt;
  result.first = first.seconds;
  result.firstCards = first.cards;
  result.warm = [];
  for (const q of questions.slice(1)) {
    const r = await ask(page, q, 60_000);
    result.warm.push({ question: q, seconds: r.seconds, cards: r.cards });
  }
  // Page height after three answers, as shipped (collapsed cards) and with every card opened
  // (what the page was when all sources were always expanded), on a laptop and a phone.
  if (process.env.HEIGHTS !== '0') {
    result.heights = {};
    for (const [width, height] of [[1366, 900], [390, 844]]) {
      const b = await openBrowser({ width, height });
      try {
        await openApp(b.page, url);
        for (const q of questions.slice(0, 3)) await ask(b.page, q, 60_000);
        const collapsed = await pageHeight(b.page);
        await b.page.locator('details.vp-card').evaluateAll((ds) => ds.forEach((d) => { d.open = true; }));
        await waitIdle(b.page);
        result.heights[`${width}x${height}`] = { collapsed, expanded: await pageHeight(b.page) };
      } finally {
        await b.close();
      }
    }
  }
} catch (err) {
  result.error = String(err && err.message ? err.message : err);
}
await close();
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
