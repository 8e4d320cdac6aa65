import fc from 'fast-check';
import { load, loadAll } from 'js-yaml';
import { toYaml, toYamlDocuments, type JsonValue } from '../../../agent/deploy/yaml';

describe('toYaml', () => {
  it('writes manifests the way people write them', () => {
    expect(toYaml({ a: 'x', b: { c: ['z', { d: 1, e: true }] }, f: [], g: {}, h: null })).toBe('a: x\nb:\n  c:\n  - z\n  - d: 1\n    e: true\nf: []\ng: {}\nh: null\n');
  });

  it('quotes strings a YAML reader would take for something else', () => {
    expect(toYaml({ v: '0.1.0', t: 'true', p: '8080', q: 'yes', e: '', c: 'a: b', h: 'x #y', s: ' lead', star: '*', n: 'NO' })).toBe('v: "0.1.0"\nt: "true"\np: "8080"\nq: "yes"\ne: ""\nc: "a: b"\nh: "x #y"\ns: " lead"\nstar: "*"\n"n": "NO"\n');
  });

  it('reads back as exactly what it wrote, whatever the data', () => {
    const key = fc.oneof(fc.string(), fc.constantFrom('on', 'null', '1', 'a: b', '-x', 'app.kubernetes.io/name'));
    const json = fc.letrec<{ value: JsonValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.constantFrom('true', 'no', '~', '0x1F', '.5', '1e3', '- a', '{x}', '"q"', "'s'", 'a\nb', '\t', 'A:', 'a: b', 'x #y', 'https://h/p', '@x', '!tag', '&a', '*a', '%x', '? k', '|', '>'),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(fc.property(json, (v) => expect(load(toYaml(v))).toEqual(v)), { numRuns: 1000 });
  });

  it('writes several documents after a comment header', () => {
    const text = toYamlDocuments([{ a: 1 }, { b: [2] }], ['made by a test', '']);
    expect(text).toBe('# made by a test\n#\n---\na: 1\n---\nb:\n- 2\n');
    expect(loadAll(text)).toEqual([{ a: 1 }, { b: [2] }]);
  });
});
