import { browserTests } from './chromium';

describe('whether the browser tests run', () => {
  const none = () => false;

  test('they run with the chromium found, VIGIL_CHROMIUM first', () => {
    expect(browserTests({}, (f) => f === '/usr/bin/chromium')).toEqual({ chromium: '/usr/bin/chromium' });
    expect(browserTests({ VIGIL_CHROMIUM: '/opt/chrome' }, () => true)).toEqual({ chromium: '/opt/chrome' });
  });

  test('on a fresh machine without chromium they are skipped, with one line saying how to run them', () => {
    const r = browserTests({}, none);
    expect(r).toEqual({
      skipped: expect.stringMatching(
        /^browser tests skipped: no chromium found \(tried .*\); to run them, install chromium \(apt-get install chromium\) or set VIGIL_CHROMIUM/,
      ),
    });
    expect((r as { skipped: string }).skipped).not.toContain('\n');
    expect(browserTests({ CI: 'false' }, none)).toHaveProperty('skipped');
  });

  test('under CI they are required: no chromium is an error, never a skip', () => {
    expect(() => browserTests({ CI: 'true' }, none)).toThrow('CI: the browser tests need chromium and none was found');
    expect(() => browserTests({ CI: '1' }, none)).toThrow('CI:');
  });
});
