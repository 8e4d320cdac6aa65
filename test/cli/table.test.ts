import { table, utcCell } from '../../cli/table';
import { utc } from '../../model/time';

describe('table', () => {
  test('pads each column to its widest cell, right-aligns the columns asked, and leaves no trailing spaces', () => {
    expect(
      table(
        ['NODE', 'CPU', 'NOTE'],
        [
          ['ip-10-0-1-1', '7%', ''],
          ['b', '100%', 'cordoned'],
        ],
        new Set([1]),
      ).split('\n'),
    ).toEqual(['NODE          CPU  NOTE', 'ip-10-0-1-1    7%', 'b            100%  cordoned']);
  });
});

test('utcCell is the one utc without its zone, for cells under a heading that names it', () => {
  const t = Date.UTC(2026, 10, 23, 12, 5, 59);
  expect(utc(t)).toBe('2026-11-23 12:05 UTC');
  expect(utcCell(t)).toBe('2026-11-23 12:05');
});
