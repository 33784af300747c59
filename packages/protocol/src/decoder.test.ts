import { expect } from '@jest/globals';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_MAX_LINE_LENGTH, LineDecoder, SEGMENT_BYTES, type LineDecoderOptions } from './decoder.js';
import { cutAt, decodeChunks, standardChunkings, type PlainEvent } from './test-support/chunking.js';

const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const line = (text: string, raw: string | Buffer = text, invalid = false): PlainEvent => ({
  type: 'line',
  hex: hex(raw),
  text,
  invalid,
});

interface Fixture {
  name: string;
  input: Buffer;
  options?: LineDecoderOptions;
  expected: PlainEvent[];
}

const fixtures: Fixture[] = [
  { name: 'one LF-terminated line', input: Buffer.from('ping\n'), expected: [line('ping')] },
  {
    name: 'several lines in one stream',
    input: Buffer.from('cmd01\nping\nxyz\n'),
    expected: [line('cmd01'), line('ping'), line('xyz')],
  },
  { name: 'empty lines', input: Buffer.from('\n\na\n'), expected: [line(''), line(''), line('a')] },
  { name: 'CR LF with CR stripped by default', input: Buffer.from('ping\r\nab\r\n'), expected: [line('ping'), line('ab')] },
  {
    name: 'CR LF kept when stripCR is false',
    input: Buffer.from('ping\r\n'),
    options: { stripCR: false },
    expected: [line('ping\r')],
  },
  { name: 'only one trailing CR is stripped', input: Buffer.from('a\r\r\n'), expected: [line('a\r')] },
  { name: 'a CR inside a line is kept', input: Buffer.from('a\rb\n'), expected: [line('a\rb')] },
  { name: 'a lone CR line becomes empty', input: Buffer.from('\r\n'), expected: [line('')] },
  { name: 'multi-byte UTF-8 decodes whole', input: Buffer.from('héllo wörld ✓ 😀\n'), expected: [line('héllo wörld ✓ 😀')] },
  {
    name: 'invalid UTF-8 is flagged, text drops the undecodable bytes, bytes keep all',
    input: Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x0a]),
    expected: [line('ab', Buffer.from([0x61, 0xff, 0x62, 0xc3]), true)],
  },
  {
    name: 'a valid character next to an invalid byte survives',
    input: Buffer.concat([Buffer.from('é'), Buffer.from([0x80]), Buffer.from('x\n')]),
    expected: [line('éx', Buffer.concat([Buffer.from('é'), Buffer.from([0x80]), Buffer.from('x')]), true)],
  },
  {
    name: 'surrogate code points encoded in UTF-8 are invalid',
    input: Buffer.from([0xed, 0xa0, 0x80, 0x0a]),
    expected: [line('', Buffer.from([0xed, 0xa0, 0x80]), true)],
  },
  { name: 'NUL bytes are ordinary bytes', input: Buffer.from('a\0b\n'), expected: [line('a\0b')] },
  {
    name: 'a line exactly at the limit is delivered',
    input: Buffer.from('abcd\n'),
    options: { maxLineLength: 4 },
    expected: [line('abcd')],
  },
  {
    name: 'a line over the limit yields one overflow with its length',
    input: Buffer.from('abcdefgh\nok\n'),
    options: { maxLineLength: 4 },
    expected: [{ type: 'overflow', length: 8 }, line('ok')],
  },
  {
    name: 'the limit counts a CR that is later stripped',
    input: Buffer.from('abcd\r\nabc\r\n'),
    options: { maxLineLength: 4 },
    expected: [{ type: 'overflow', length: 5 }, line('abc')],
  },
  {
    name: 'two overlong lines in a row give two overflows',
    input: Buffer.from('aaaaaa\nbbbbbbb\nc\n'),
    options: { maxLineLength: 3 },
    expected: [{ type: 'overflow', length: 6 }, { type: 'overflow', length: 7 }, line('c')],
  },
  {
    name: 'an unterminated tail is reported as incomplete, never as a line',
    input: Buffer.from('ping\npin'),
    expected: [line('ping'), { type: 'incomplete', hex: hex('pin'), text: 'pin', invalid: false, length: 3, tooLong: false }],
  },
  {
    name: 'an overlong unterminated tail is reported incomplete and too long',
    input: Buffer.from('ok\nabcdefg'),
    options: { maxLineLength: 4 },
    expected: [line('ok'), { type: 'incomplete', hex: '', text: '', invalid: false, length: 7, tooLong: true }],
  },
  { name: 'no input gives no events', input: Buffer.alloc(0), expected: [] },
  {
    name: 'long lines (the one-pass path): ASCII, multi-byte, a real U+FFFD, invalid bytes, CR LF',
    input: Buffer.concat([
      Buffer.from(`${'a'.repeat(300)}\n`),
      Buffer.from(`${'é'.repeat(150)}\n`),
      Buffer.from(`${'b'.repeat(280)}\uFFFD\r\n`),
      Buffer.from('c'.repeat(270)),
      Buffer.from([0xff, 0x0a]),
    ]),
    expected: [
      line('a'.repeat(300)),
      line('é'.repeat(150)),
      line(`${'b'.repeat(280)}\uFFFD`),
      line('c'.repeat(270), Buffer.concat([Buffer.from('c'.repeat(270)), Buffer.from([0xff])]), true),
    ],
  },
];

describe('LineDecoder fixtures under every chunking', () => {
  for (const f of fixtures) {
    it(`${f.name}: whole, byte by byte and split at every index give the expected events [SRS-008]`, () => {
      for (const { name, chunks } of standardChunkings(f.input)) {
        const got = decodeChunks(chunks, f.options);
        if (JSON.stringify(got) !== JSON.stringify(f.expected)) {
          // Name the chunking that failed.
          expect({ chunking: name, events: got }).toEqual({ chunking: name, events: f.expected });
        }
      }
    });
  }

  it('an ASCII chunk of short lines (the string fast path) decodes like byte by byte, CR LF included [SRS-012]', () => {
    const input = Buffer.from('ping\r\ncmd01\n\nab\r\n'.repeat(8) + `${'q'.repeat(30)}\r\nend`);
    const expected = decodeChunks(Array.from(input, (b) => Buffer.from([b])));
    expect(decodeChunks([input])).toEqual(expected);
    expect(expected.slice(0, 4)).toEqual([line('ping'), line('cmd01'), line(''), line('ab')]);
    expect(expected.at(-2)).toEqual(line('q'.repeat(30)));
  });

  it('long ASCII chunks (over the ASCII fast-path size) decode like short ones', () => {
    const input = Buffer.from('0123456789abcdefghij\nxyz\n'.repeat(4) + 'é\n');
    const expected = decodeChunks(Array.from(input, (b) => Buffer.from([b])));
    expect(decodeChunks([input])).toEqual(expected);
    expect(expected.at(-1)).toEqual(line('é'));
  });
});

describe('LineDecoder limits', () => {
  it('uses a finite 1 MiB default limit (real commands carry JSON documents) [SRS-026]', () => {
    expect(DEFAULT_MAX_LINE_LENGTH).toBe(1024 * 1024);
    expect(new LineDecoder().maxLineLength).toBe(1024 * 1024);
  });

  it('never holds more than the limit while a huge line streams in, and reports its full length [SRS-026]', () => {
    const d = new LineDecoder({ maxLineLength: 1024 });
    const chunk = Buffer.alloc(4096, 0x61);
    let maxHeld = 0;
    for (let i = 0; i < 256; i++) {
      expect(d.push(chunk)).toEqual([]);
      maxHeld = Math.max(maxHeld, d.buffered);
    }
    expect(maxHeld).toBeLessThanOrEqual(1024);
    expect(d.isDiscarding).toBe(true);
    const events = d.push(Buffer.from('tail\nnext\n'));
    expect(events.map((e) => e.type)).toEqual(['overflow', 'line']);
    expect(events[0]).toEqual({ type: 'overflow', length: 256 * 4096 + 4 });
    expect(d.isDiscarding).toBe(false);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects maxLineLength %p with ERR_ONELINE_INVALID_OPTION [SRS-045]',
    (bad) => {
      expect(() => new LineDecoder({ maxLineLength: bad })).toThrow(
        expect.objectContaining({ code: 'ERR_ONELINE_INVALID_OPTION', message: expect.stringContaining('maxLineLength') }),
      );
    },
  );

  it('accepts Uint8Array chunks as well as Buffers', () => {
    const d = new LineDecoder();
    const events = d.push(new TextEncoder().encode('hé\n'));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'line', text: 'hé', invalid: false });
  });

  it('can be reused after end()', () => {
    const d = new LineDecoder();
    d.push(Buffer.from('abc'));
    expect(d.end()).toHaveLength(1);
    expect(d.end()).toEqual([]);
    expect(d.push(Buffer.from('x\n'))[0]).toMatchObject({ type: 'line', text: 'x' });
  });
});

// Streams rich in LF, CR, invalid and multi-byte bytes, so properties hit the edges.
const interestingByte = fc.oneof(
  fc.constantFrom(0x0a, 0x0d, 0x00, 0x61, 0xc3, 0xa9, 0xe2, 0x9c, 0x93, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80),
  fc.integer({ min: 0, max: 255 }),
);
const stream = fc.array(interestingByte, { maxLength: 300 }).map((a) => Buffer.from(a));
const options = fc.record({ maxLineLength: fc.integer({ min: 1, max: 40 }), stripCR: fc.boolean() });
const cuts = (len: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, len) }), { maxLength: 20 }).map((a) => a.sort((x, y) => x - y));

describe('LineDecoder properties', () => {
  it('any chunking of any byte stream yields the same events [SRS-008]', () => {
    fc.assert(
      fc.property(
        stream.chain((s) => fc.tuple(fc.constant(s), cuts(s.length))),
        options,
        ([s, offsets], opts) => {
          expect(decodeChunks(cutAt(s, offsets), opts)).toEqual(decodeChunks([s], opts));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('ASCII streams of short and long lines decode the same in big chunks as byte by byte', () => {
    // Exercises the short-line string fast path (ASCII chunks >= 64 bytes whose first line is short).
    const asciiStream = fc
      .array(fc.constantFrom('a', 'b', '\r', '\n', ' ', 'ping', 'x'.repeat(12), 'y'.repeat(13), 'z'.repeat(40)), { minLength: 10, maxLength: 200 })
      .map((parts) => Buffer.from(parts.join('')));
    fc.assert(
      fc.property(asciiStream, options, (s, opts) => {
        const whole = decodeChunks([s], opts);
        expect(whole).toEqual(decodeChunks(Array.from(s, (b) => Buffer.from([b])), opts));
        expect(decodeChunks(cutAt(s, [Math.floor(s.length / 3), Math.floor((2 * s.length) / 3)]), opts)).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it('no input makes the decoder throw or hold more than the limit [SRS-026]', () => {
    fc.assert(
      fc.property(fc.array(stream, { maxLength: 10 }), options, (chunks, opts) => {
        const d = new LineDecoder(opts);
        for (const c of chunks) {
          d.push(c);
          expect(d.buffered).toBeLessThanOrEqual(opts.maxLineLength);
        }
        d.end();
      }),
      { numRuns: 500 },
    );
  });

  it('every LF gives exactly one line or overflow event, and the lines rebuild the input [SRS-008]', () => {
    fc.assert(
      fc.property(stream, (s) => {
        const events = decodeChunks([s], { stripCR: false, maxLineLength: 1000 });
        const lfCount = s.filter((b) => b === 0x0a).length;
        expect(events.filter((e) => e.type === 'line' || e.type === 'overflow')).toHaveLength(lfCount);
        // Limit above the stream size: no overflow, so lines + LFs + tail are the input.
        const rebuilt = events.map((e) => (e.type === 'line' ? `${e.hex}0a` : e.type === 'incomplete' ? e.hex : '')).join('');
        expect(rebuilt).toBe(s.toString('hex'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('LineDecoder.feedTo', () => {
  const texts = (evs: { type: string; text?: string; length?: number }[]): string[] =>
    evs.map((e) => (e.type === 'line' ? `line:${e.text}` : `${e.type}:${e.length}`));

  it('hands over the same events, in order, as push does', () => {
    const input = Buffer.from(`cmd01\n${'x'.repeat(40)}\nhé\n${'y'.repeat(300)}\n${'z'.repeat(20)}\npart`);
    const viaPush = new LineDecoder({ maxLineLength: 100 }).push(input);
    const viaSink: { type: string; text?: string; length?: number }[] = [];
    new LineDecoder({ maxLineLength: 100 }).feedTo(input, { onEvent: (ev) => viaSink.push(ev) });
    expect(texts(viaSink)).toEqual(texts(viaPush));
    expect(texts(viaSink)).toEqual(['line:cmd01', `line:${'x'.repeat(40)}`, 'line:hé', 'overflow:300', `line:${'z'.repeat(20)}`]);
  });

  it('when the sink throws, the error propagates, the chunk\'s other lines are dropped and its tail is kept', () => {
    const d = new LineDecoder();
    const seen: string[] = [];
    const boom = new Error('sink failed');
    const sink = {
      onEvent: (ev: { type: string; text?: string }) => {
        seen.push(ev.text ?? ev.type);
        if (ev.text === 'first') throw boom;
      },
    };
    // ASCII and over 64 bytes: the string path.
    expect(() => d.feedTo(Buffer.from(`first\n${'second\n'.repeat(12)}par`), sink)).toThrow(boom);
    expect(d.buffered).toBe(3);
    d.feedTo(Buffer.from('tial\n'), sink);
    expect(seen).toEqual(['first', 'partial']);
  });

  it('when the sink throws on a line carried over from an earlier chunk, the tail is kept too', () => {
    const d = new LineDecoder();
    const seen: string[] = [];
    const sink = {
      onEvent: (ev: { type: string; text?: string }) => {
        seen.push(ev.text ?? ev.type);
        if (ev.text === 'carried') throw new Error('sink failed');
      },
    };
    d.feedTo(Buffer.from('carr'), sink);
    expect(() => d.feedTo(Buffer.from('ied\nlost\nta'), sink)).toThrow('sink failed');
    d.feedTo(Buffer.from('il\n'), sink);
    expect(seen).toEqual(['carried', 'tail']);
  });
});

describe('LineDecoder pull (write/take)', () => {
  const plainOf = (ev: { type: string; text?: string; length?: number } | undefined): string =>
    ev === undefined ? '-' : ev.type === 'line' ? `line:${ev.text}` : `${ev.type}:${ev.length}`;

  it('takes one line at a time from written chunks and counts the unread bytes', () => {
    const d = new LineDecoder({ maxLineLength: 100 });
    d.write(Buffer.from(`a\n${'b'.repeat(80)}\nc`));
    d.write(Buffer.from('d\n'));
    expect(d.unread).toBe(2 + 81 + 1 + 2);
    expect(plainOf(d.take())).toBe('line:a');
    expect(d.unread).toBe(81 + 1 + 2);
    expect(plainOf(d.take())).toBe(`line:${'b'.repeat(80)}`);
    expect(plainOf(d.take())).toBe('line:cd');
    expect(plainOf(d.take())).toBe('-');
    expect(d.unread).toBe(0);
  });

  it('for any chunking and any interleaving of write and take, yields what push yields [SRS-008]', () => {
    const word = fc.constantFrom('ping', 'cmd01', '', 'x'.repeat(30), 'y'.repeat(300), 'h\u00e9', '\r', 'z'.repeat(120));
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 40 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 3000 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 20 }),
        (words, rawCuts, takes) => {
          const input = Buffer.from(words.map((w) => `${w}\n`).join('') + 'tail');
          const want = new LineDecoder({ maxLineLength: 200 }).push(input).map(plainOf);
          const d = new LineDecoder({ maxLineLength: 200 });
          const got: string[] = [];
          const chunks = cutAt(input, rawCuts.filter((o) => o <= input.length).sort((a, b) => a - b));
          chunks.forEach((c, i) => {
            d.write(c);
            for (let k = 0; k < takes[i % takes.length]!; k++) {
              const ev = d.take();
              if (ev !== undefined) got.push(plainOf(ev));
            }
          });
          for (let ev = d.take(); ev !== undefined; ev = d.take()) got.push(plainOf(ev));
          expect(got).toEqual(want);
          expect(d.buffered).toBe(4); // 'tail'
        },
      ),
      { numRuns: 300 },
    );
  });

  it('end() with lines still unread returns only the tail after the last LF; the lines stay to be taken', () => {
    const d = new LineDecoder();
    d.write(Buffer.from('one\ntw'));
    d.write(Buffer.from('o\nthr'));
    d.write(Buffer.from('ee'));
    const [tail] = d.end();
    expect(tail).toMatchObject({ type: 'incomplete', text: 'three', length: 5, tooLong: false });
    expect(plainOf(d.take())).toBe('line:one');
    expect(plainOf(d.take())).toBe('line:two');
    expect(d.take()).toBeUndefined();
    expect(d.end()).toEqual([]);
  });

  it('end() with lines unread reports an over-long tail as too long, and keeps the line begun before', () => {
    const d = new LineDecoder({ maxLineLength: 4 });
    d.push(Buffer.from('ab')); // held: the start of a line
    d.write(Buffer.from('c\nxyzxyz'));
    expect(d.end()).toEqual([{ type: 'incomplete', bytes: Buffer.alloc(0), text: '', invalid: false, length: 6, tooLong: true }]);
    expect(plainOf(d.take())).toBe('line:abc');
  });

  it('reset() forgets unread chunks and the held line', () => {
    const d = new LineDecoder();
    d.push(Buffer.from('held'));
    d.write(Buffer.from('x\ny\n'));
    d.reset();
    expect(d.unread).toBe(0);
    expect(d.buffered).toBe(0);
    expect(d.take()).toBeUndefined();
    expect(d.push(Buffer.from('z\n')).map(plainOf)).toEqual(['line:z']);
  });
});

describe('LineDecoder memory', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapAfterGc = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  /** Decodes `chunks` fresh 64 KiB chunks of `lineBytes`-byte lines, keeps the first line of each; returns the heap growth. */
  const keepOnePerChunk = (chunks: number, lineBytes: number): { retained: number; kept: string[] } => {
    const kept: string[] = [];
    const before = heapAfterGc();
    const d = new LineDecoder();
    const perChunk = Math.floor(65536 / lineBytes);
    for (let i = 0; i < chunks; i++) {
      const chunk = Buffer.from(`${String(i).padStart(6, '0')}${'x'.repeat(lineBytes - 7)}\n`.repeat(perChunk));
      const first = d.push(chunk)[0];
      if (first?.type === 'line') kept.push(first.text);
    }
    return { retained: heapAfterGc() - before, kept };
  };

  it('a kept line keeps at most its decoding segment alive, never its 64 KiB chunk', () => {
    const { retained, kept } = keepOnePerChunk(400, 100);
    expect(kept).toHaveLength(400);
    expect(kept[7]).toBe(`000007${'x'.repeat(93)}`);
    // Whole chunks would be 400 x 64 KiB = 26 MB; segments of about 16 lines are 400 x 1.6 KiB.
    expect(SEGMENT_BYTES).toBeLessThanOrEqual(1024);
    expect(retained).toBeLessThan(400 * 4096 + (1 << 20));
  });

  it('a kept short line does not keep the 60 KB line after it alive', () => {
    const kept: string[] = [];
    const before = heapAfterGc();
    const d = new LineDecoder();
    for (let i = 0; i < 300; i++) {
      // The reviewer's case: `keep-…` then a 60,000-byte line, in one chunk; only the short text is kept.
      const chunk = Buffer.from(`keep-${String(i).padStart(12, '0')}\n${'y'.repeat(60000)}\n`);
      const first = d.push(chunk)[0];
      if (first?.type === 'line') kept.push(first.text);
    }
    const retained = heapAfterGc() - before;
    expect(kept).toHaveLength(300);
    // Sharing would keep 300 x 60 KB = 18 MB alive.
    expect(retained).toBeLessThan(300 * 4096 + (1 << 20));
  });

  it('a kept 1,000-byte line keeps at most its segment (under 20 KiB) alive, not its 64 KiB chunk', () => {
    const { retained, kept } = keepOnePerChunk(400, 1000);
    expect(kept).toHaveLength(400);
    // Whole chunks: 26 MB; 16 KiB segments: 6.6 MB.
    expect(retained).toBeLessThan(400 * 20 * 1024 + (1 << 20));
  });
});
