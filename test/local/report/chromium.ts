/**
 * Just enough of the Chrome DevTools Protocol to check a page in Debian's real chromium, with no npm
 * browser driver: chromium is started headless with `--remote-debugging-pipe` and spoken to over its
 * fds 3 and 4 (NUL-separated JSON), as Puppeteer's pipe transport does. One page per browser.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Readable, Writable } from 'stream';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the browser tests look: `VIGIL_CHROMIUM`, else chromium or Chrome on the usual paths (CI installs Debian's `chromium`). */
function chromiumCandidates(env: Env): string[] {
  return [env.VIGIL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);
}

/**
 * Whether the browser tests run here: with a chromium they do; without one they are skipped with one line
 * saying how to run them, except under CI (`CI` set and not "false"), where a missing browser is an error,
 * never a silent skip.
 */
export function browserTests(
  env: Env = process.env,
  exists: (file: string) => boolean = fs.existsSync,
): { readonly chromium: string } | { readonly skipped: string } {
  const candidates = chromiumCandidates(env);
  const chromium = candidates.find(exists);
  if (chromium) return { chromium };
  const how = `install chromium (apt-get install chromium) or set VIGIL_CHROMIUM to a Chrome binary`;
  if (env.CI && env.CI !== 'false')
    throw new Error(`CI: the browser tests need chromium and none was found (tried ${candidates.join(', ')}): ${how}`);
  return { skipped: `browser tests skipped: no chromium found (tried ${candidates.join(', ')}); to run them, ${how}` };
}

/** `test`, or `test.skip` where there is no chromium (`browserTests`). */
export function browserTest(): jest.It {
  return 'chromium' in browserTests() ? test : test.skip;
}

export function chromiumPath(): string {
  const b = browserTests();
  if ('skipped' in b) throw new Error(b.skipped);
  return b.chromium;
}

export interface BrowserPage {
  /** Every URL the page requested. */
  readonly requests: readonly string[];
  /** Uncaught exceptions, console errors and browser log errors (CSP violations land here). */
  readonly errors: readonly string[];
  evaluate<T>(expression: string): Promise<T>;
  mouseMove(x: number, y: number): Promise<void>;
  /** A PNG of the whole page, or of a band of it. */
  screenshot(file: string, band?: { readonly y: number; readonly height: number }): Promise<void>;
  close(): Promise<void>;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

const TIMEOUT_MS = 30_000;

export async function openPage(url: string, viewport: { width: number; height: number }): Promise<BrowserPage> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-chromium-'));
  const proc: ChildProcess = spawn(
    chromiumPath(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--hide-scrollbars',
      '--mute-audio',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const input = proc.stdio[3] as Writable;
  const output = proc.stdio[4] as Readable;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));

  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let nextId = 0;
  let buffer = '';
  let exited: Error | undefined;
  output.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
      const m = JSON.parse(buffer.slice(0, end)) as Message;
      buffer = buffer.slice(end + 1);
      if (m.id !== undefined && pending.has(m.id)) {
        const p = pending.get(m.id)!;
        pending.delete(m.id);
        if (m.error) p.reject(new Error(`chromium: ${m.error.message}`));
        else p.resolve(m);
      } else listeners.forEach((l) => l(m));
    }
  });
  proc.on('exit', (code) => {
    exited = new Error(`chromium exited (${code}) before answering:\n${stderr}`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });

  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`chromium: no answer to ${method} in ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m.result ?? {});
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  const once = (method: string, sessionId: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium: no ${method} in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      listeners.push((m) => {
        if (m.method === method && m.sessionId === sessionId) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

  const close = async () => {
    if (!exited) {
      await send('Browser.close').catch(() => undefined);
      await new Promise<void>((resolve) => (exited ? resolve() : proc.once('exit', () => resolve())));
    }
    fs.rmSync(profile, { recursive: true, force: true });
  };

  try {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const requests: string[] = [];
    const errors: string[] = [];
    listeners.push((m) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params as Record<string, any> | undefined;
      if (m.method === 'Network.requestWillBeSent') requests.push(p!.request.url);
      if (m.method === 'Runtime.exceptionThrown')
        errors.push(`exception: ${p!.exceptionDetails?.exception?.description ?? p!.exceptionDetails?.text}`);
      if (m.method === 'Runtime.consoleAPICalled' && p!.type === 'error') errors.push(`console.error: ${JSON.stringify(p!.args)}`);
      if (m.method === 'Log.entryAdded' && p!.entry.level === 'error') errors.push(`log (${p!.entry.source}): ${p!.entry.text}`);
    });
    for (const domain of ['Page', 'Runtime', 'Network', 'Log']) await send(`${domain}.enable`, {}, sessionId);
    await send(
      'Emulation.setDeviceMetricsOverride',
      { width: viewport.width, height: viewport.height, deviceScaleFactor: 1, mobile: false },
      sessionId,
    );
    const loaded = once('Page.loadEventFired', sessionId);
    await send('Page.navigate', { url }, sessionId);
    await loaded;
    return {
      requests,
      errors,
      async evaluate<T>(expression: string): Promise<T> {
        const r = (await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId)) as {
          result: { value: T };
          exceptionDetails?: { exception?: { description?: string }; text: string };
        };
        if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value;
      },
      async mouseMove(x: number, y: number) {
        await send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y }, sessionId);
      },
      async screenshot(file: string, band?: { readonly y: number; readonly height: number }) {
        const { cssContentSize: size } = (await send('Page.getLayoutMetrics', {}, sessionId)) as {
          cssContentSize: { width: number; height: number };
        };
        const y = band?.y ?? 0;
        const height = Math.min(band?.height ?? size.height, size.height - y);
        const { data } = (await send(
          'Page.captureScreenshot',
          { format: 'png', captureBeyondViewport: true, clip: { x: 0, y, width: size.width, height, scale: 1 } },
          sessionId,
        )) as { data: string };
        fs.writeFileSync(file, Buffer.from(data, 'base64'));
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
