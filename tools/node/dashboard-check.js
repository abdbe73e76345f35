// Opens the Bulwark dashboard in a real Chromium (playwright-core, no downloaded browser) and reports, as one JSON
// line on stdout, what a person would see: console errors, the marks of every chart, and the numbers shown.
// Usage: node dashboard-check.js '{"url": "...", "chromium": "/usr/bin/chromium", "screenshot": "file.png",
//                                  "loginUrl": "... (optional: a token is required; log in through this link)"}'
'use strict';
const { chromium } = require('playwright-core');

async function main() {
  const options = JSON.parse(process.argv[2]);
  const browser = await chromium.launch({ executablePath: options.chromium, args: ['--no-sandbox', '--disable-gpu'] });
  const result = { consoleErrors: [], pageErrors: [] };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: options.colorScheme || 'light' });
    const page = await context.newPage();
    page.on('console', (message) => { if (message.type() === 'error') result.consoleErrors.push(message.text()); });
    page.on('pageerror', (error) => result.pageErrors.push(String(error)));
    if (options.loginUrl) {
      // The refusal logs a console error of its own (a 401 resource), which may arrive late: it is taken on a page
      // of its own, so that only the logged-in page's errors count.
      const probe = await context.newPage();
      const refused = await probe.goto(options.url);
      result.withoutToken = { status: refused.status(), text: await probe.textContent('body') };
      await probe.close();
      const login = await page.goto(options.loginUrl);
      result.afterLogin = { status: login.status(), url: page.url() };
      const again = await context.newPage();
      const reused = await again.goto(options.loginUrl);
      result.loginReused = reused.status();
      await again.close();
    }
    const response = await page.goto(options.url, { waitUntil: 'load' });
    result.status = response.status();
    result.headers = response.headers();
    result.title = await page.title();
    result.page = await page.evaluate(() => {
      const values = (root, selector) => Array.from(root.querySelectorAll(selector)).map((e) => e.getAttribute('value'));
      const charts = Array.from(document.querySelectorAll('svg.chart')).map((svg) => ({
        id: svg.id,
        title: svg.querySelector('title') ? svg.querySelector('title').textContent : null,
        marks: svg.querySelectorAll('.mark').length,
        failed: svg.querySelectorAll('.mark.fail').length,
        drawn: Array.from(svg.querySelectorAll('.mark')).every((m) => { const b = m.getBBox(); return b.width > 0 || b.height > 0; }),
        hasText: !!(svg.closest('figure') && svg.closest('figure').querySelector('figcaption data')),
      }));
      const sources = Array.from(document.querySelectorAll('section.source')).map((section) => ({
        source: section.getAttribute('data-source'),
        lastSnapshot: section.querySelector('.last-backup') && section.querySelector('.last-backup').getAttribute('data-snapshot'),
        lastSize: values(section, 'data.last-size')[0] || null,
        lastDuration: values(section, 'data.last-duration')[0] || null,
        count90: values(section, 'tr[data-days="90"] data.count')[0] || null,
        count30: values(section, 'tr[data-days="30"] data.count')[0] || null,
        addedTotal: values(section, 'data.added-total')[0] || null,
        drillsPassed: values(section, 'data.drills-passed')[0] || null,
        drillsFailed: values(section, 'data.drills-failed')[0] || null,
        kept: values(section, 'data.kept')[0] || null,
        going: values(section, 'data.going')[0] || null,
        backupSizes: Array.from(section.querySelectorAll('table.backups tbody tr')).map((tr) => ({
          snapshot: tr.getAttribute('data-snapshot'), size: tr.querySelector('td:nth-child(3) data').getAttribute('value'),
        })),
      }));
      const checks = Array.from(document.querySelectorAll('#health tbody tr')).map((tr) => ({
        check: tr.getAttribute('data-check'), state: tr.querySelector('.state').textContent.trim(),
      }));
      const jobs = Array.from(document.querySelectorAll('#jobs tbody tr')).map((tr) => tr.getAttribute('data-job'));
      return { charts, sources, checks, jobs, bytes: document.documentElement.outerHTML.length };
    });
    if (options.screenshot) {
      await page.screenshot({ path: options.screenshot, fullPage: true });
      result.screenshot = options.screenshot;
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error) => { process.stderr.write(String(error && error.stack || error) + '\n'); process.exit(1); });
