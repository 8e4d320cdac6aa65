import { checkJsonShape, type JsonShapeLimits } from '../../model/json-shape';

const limits: JsonShapeLimits = { maxJsonValues: 10, maxJsonContainers: 4, maxJsonDepth: 3, maxObjectMembers: 3, maxDistinctKeys: 5 };
const check = (text: string, l = limits) => checkJsonShape(Buffer.from(text), l);

test('counts what JSON.parse would build: values, containers and depth', () => {
  expect(check('{"a":[1,2,{"b":null}],"c":"x"}')).toEqual({ ok: true, shape: { values: 7, containers: 3, depth: 3 } });
  expect(check('42')).toEqual({ ok: true, shape: { values: 1, containers: 0, depth: 0 } });
});

test('brackets, commas, colons and escaped quotes inside strings are text, not structure', () => {
  expect(check('{"a":"[{,:}]\\\\","b":"say \\"{[,\\" twice","c":"é€𝄞"}')).toEqual({
    ok: true,
    shape: { values: 4, containers: 1, depth: 1 },
  });
});

test.each([
  ['too many values', '[1,2,3,4,5,6,7,8,9,10,11]', true, 'more than 10 values'],
  ['too many containers', '[[],[],[],[]]', true, 'more than 4 objects and arrays'],
  ['too deep', '[[[[1]]]]', false, 'nests deeper than 3 levels'],
  ['an object with too many members', '{"a":1,"b":2,"c":3,"d":4}', false, 'an object with more than 3 members (at byte 22)'],
])('%s is refused', (_what, text, tooLarge, problem) => {
  const r = check(text);
  expect(r).toMatchObject({ ok: false, tooLarge });
  expect(r.ok ? '' : r.problem).toContain(problem);
});

test('distinct keys are counted over the whole text', () => {
  expect(check('[{"a":1},{"a":2},{"b":3}]', { ...limits, maxDistinctKeys: 2 }).ok).toBe(true);
  expect(check('[{"a":1},{"b":2},{"c":3}]', { ...limits, maxDistinctKeys: 2 })).toMatchObject({
    ok: false,
    tooLarge: false,
    problem: expect.stringContaining('more than 2 distinct object keys'),
  });
});

test('members are counted per object, not per level', () => {
  expect(check('[{"a":1,"b":2,"c":3},{"a":1,"b":2,"c":3}]', { ...limits, maxJsonValues: 100 }).ok).toBe(true);
});
