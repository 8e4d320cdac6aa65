import { formatPath } from '../../common/json-path';

test('a path into JSON reads as in code: keys dotted, indexes in brackets', () => {
  expect(formatPath(['nodes', 3, 'pods', 0, 'name'])).toBe('nodes[3].pods[0].name');
  expect(formatPath([2, 'region'])).toBe('[2].region');
  expect(formatPath([])).toBe('');
});
