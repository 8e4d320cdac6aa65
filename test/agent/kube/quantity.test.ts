import { bytes, cpuMilli, parseQuantity } from '../../../agent/kube/quantity';

describe('Kubernetes quantities', () => {
  it.each([
    ['250m', 250],
    ['4', 4000],
    ['3920m', 3920],
    ['0.5', 500],
    ['100u', 0.1],
    ['1500000n', 1.5],
  ])('CPU %s = %d millicores', (q, m) => expect(cpuMilli(q)).toBe(m));

  it.each([
    ['16Gi', 16 * 2 ** 30],
    ['15896596Ki', 15896596 * 1024],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['129M', 129e6],
    ['123k', 123000],
    ['1Ti', 2 ** 40],
  ])('memory %s = %d bytes', (q, b) => expect(bytes(q)).toBe(b));

  it('is undefined for what is not a quantity, and passes numbers through', () => {
    expect(parseQuantity('12 Gi')).toBeUndefined();
    expect(parseQuantity('Gi')).toBeUndefined();
    expect(parseQuantity('1.2.3')).toBeUndefined();
    expect(parseQuantity(undefined)).toBeUndefined();
    expect(parseQuantity(58)).toBe(58);
  });
});
