// The web console in a real headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core (issue 16): a real carekeepd records a real carekeep-fakecam camera; an
// operator logs in, sees the overview in Chinese with the camera tiles, and acknowledges an
// alert. With SCREENSHOT=path it saves the overview (docs/console-overview-zh.png).
//
// Run by CTest (label browser) with CAREKEEPD, CAREKEEP and FAKECAM set to the built binaries.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  console.error('playwright-core is not installed in tests/browser: run tools/install-deps.sh (it runs npm ci there)');
  process.exit(1);
}

const need = (name) => {
  const value = process.env[name];
  if (!value || !existsSync(value)) {
    console.error(`${name} must name the built binary (got ${value ?? 'nothing'})`);
    process.exit(1);
  }
  return value;
};
const carekeepd = need('CAREKEEPD');
const carekeep = need('CAREKEEP');
const fakecamBin = need('FAKECAM');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const work = mkdtempSync(join(tmpdir(), 'carekeep-browser-'));
const children = [];
let browser;

function cleanup() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
process.on('exit', cleanup);

// Stops every child and waits (at most 20 s) until they have exited, before their files go.
async function stopAll() {
  const exits = children.map((child) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => {
          child.once('exit', resolve);
          setTimeout(resolve, 20000);
        }));
  cleanup();
  await Promise.all(exits);
}

// Resolves when `predicate(text)` holds for what the stream has said so far.
function waitFor(getText, predicate, what, ms = 30000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const text = getText();
      const found = predicate(text);
      if (found) return resolve(found);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}; so far:\n${text.slice(-2000)}`));
      setTimeout(poll, 100);
    };
    poll();
  });
}

try {
  // A simulated camera, and one that never answers (its zone is uncovered: an alert to acknowledge).
  const fakecam = spawn(fakecamBin, ['--port', '0', '--camera', 'nap-1:h264:640x360:800'], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(fakecam);
  let fakecamOut = '';
  fakecam.stdout.on('data', (d) => (fakecamOut += d));
  fakecam.stderr.on('data', (d) => (fakecamOut += d));
  const url = await waitFor(() => fakecamOut, (t) => t.match(/fakecam ready .*?(rtsp:\/\/\S+\/nap-1)\b/)?.[1], 'fakecam');

  const allDay = '["00:00-24:00"]';
  writeFileSync(join(work, 'carekeep.toml'), `[site]
name = "阳光家庭托育点"
timezone = "Asia/Shanghai"
storage = "${work}/media"
database = "${work}/state/index.db"

[care_hours]
monday = ${allDay}
tuesday = ${allDay}
wednesday = ${allDay}
thursday = ${allDay}
friday = ${allDay}
saturday = ${allDay}
sunday = ${allDay}

[web]
listen = "127.0.0.1:0"

[[camera]]
id = "nap-1"
name = "午睡室"
url = "${url}"
segment_seconds = 10

[[camera]]
id = "play-1"
name = "活动室"
url = "rtsp://127.0.0.1:1/play-1"

[[zone]]
id = "nap"
cameras = ["nap-1"]

[[zone]]
id = "play"
cameras = ["play-1"]
`);

  const daemon = spawn(carekeepd, ['--config', join(work, 'carekeep.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(daemon);
  let daemonLog = '';
  daemon.stdout.on('data', (d) => (daemonLog += d));
  daemon.stderr.on('data', (d) => (daemonLog += d));
  const port = await waitFor(() => daemonLog, (t) => t.match(/web_listening .*?port=(\d+)/)?.[1], 'web_listening');

  // The account, made as a person would: the password on standard input, never in argv.
  execFileSync(carekeep, ['--config', join(work, 'carekeep.toml'), 'web', 'user', 'add', 'wang', '--role', 'operator'],
               { input: 'correct horse 7\n' });

  // Wait until the status shows the camera up and an open alert.
  const statusPath = join(work, 'state', 'status.json');
  await waitFor(() => (existsSync(statusPath) ? readFileSync(statusPath, 'utf8') : ''), (t) => {
    try {
      const s = JSON.parse(t);
      return s.cameras?.some((c) => c.camera === 'nap-1' && c.up) && s.alerts?.length > 0;
    } catch {
      return false;
    }
  }, 'the camera up and an alert open', 60000);

  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
  // The daemon's certificate is self-signed: a person compares its fingerprint once.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN', viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  const base = `https://127.0.0.1:${port}`;

  // A wrong password first: refused, in Chinese.
  await page.goto(`${base}/`);
  assert.equal(await page.title().then((t) => t.includes('登录')), true, 'the login page is in Chinese');
  await page.getByLabel('用户名').fill('wang');
  await page.getByLabel('密码').fill('wrong password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByText('用户名或密码错误。').waitFor();

  await page.getByLabel('用户名').fill('wang');
  await page.getByLabel('密码').fill('correct horse 7');
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(`${base}/overview`);
  await page.getByRole('heading', { name: '总览' }).waitFor();

  // Tiles: one per camera, with state and bitrate.
  const tiles = page.locator('li.tile');
  assert.equal(await tiles.count(), 2);
  await page.locator('li.tile[data-camera="nap-1"]').getByText('正在录像').waitFor();
  await page.locator('li.tile[data-camera="play-1"]').getByText('未录像').waitFor();
  assert.match(await page.locator('li.tile[data-camera="nap-1"]').innerText(), /码率[\s\S]*Mbit\/s/);
  await page.getByText('无画面覆盖').first().waitFor();

  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });

  // Acknowledge the first open alert.
  const before = await page.getByRole('button', { name: '确认' }).count();
  assert.ok(before > 0, 'an operator sees an acknowledge button');
  await page.getByRole('button', { name: '确认' }).first().click();
  await page.getByText('告警已确认。').waitFor();
  await page.getByText('已确认 (web:wang)').first().waitFor();

  // The index says who acknowledged it, and the access log has the views.
  const acked = JSON.parse(execFileSync(carekeep, ['--config', join(work, 'carekeep.toml'), 'alerts', '--json']));
  assert.ok(acked.some((a) => a.acknowledged_by === 'web:wang'), 'the alert is acknowledged by web:wang');

  // Cookies: HttpOnly, Secure, SameSite=Strict.
  const session = (await context.cookies()).find((c) => c.name === 'ck_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, 'Strict');
  console.log('browser test passed: login, overview in Chinese with camera tiles, alert acknowledged');
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  await stopAll();
  if (!process.env.KEEP) rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}
