import { OutputTail } from './program.js';

describe('OutputTail', () => {
  it('keeps the last max bytes of any chunking, never more', () => {
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
    for (const size of [1, 7, 100, 999, 5000]) {
      const t = new OutputTail(1000);
      for (let i = 0; i < data.length; i += size) t.push(data.subarray(i, i + size));
      expect(t.text()).toBe(data.subarray(4000).toString());
      expect(t.total).toBe(5000);
    }
  });

  it('a multi-byte character cut by the bound is dropped, not shown as garbage', () => {
    const t = new OutputTail(4);
    t.push(Buffer.from('aé€')); // 1 + 2 + 3 bytes: the last 4 start inside é
    expect(t.text()).toBe('€');
  });

  it('a chunk larger than the bound is copied, so the chunk itself is not kept alive', () => {
    const t = new OutputTail(8);
    const big = Buffer.alloc(1 << 20, 'y');
    t.push(big);
    expect(t.text()).toBe('yyyyyyyy');
    big.fill('z');
    expect(t.text()).toBe('yyyyyyyy');
  });
});
