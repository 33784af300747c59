const { analyse, checkSrs, idsIn, renderHtml, renderMarkdown, summaryLine } = require('./lib.cjs');

const srs = [
  { id: 'SRS-001', group: 'server', description: 'answers ping with pong' },
  { id: 'SRS-002', group: 'client', description: 'connects with a handshake' },
];
const suite = (tests) => ({
  project: 'packages/x',
  results: { partial: false, files: [{ file: 'packages/x/src/a.test.ts', failureMessage: null, tests }] },
});
const tc = (fullName, status = 'passed') => ({ fullName, status, failureMessages: status === 'failed' ? ['boom'] : [] });
const coverage = [{ project: 'packages/x', threshold: { lines: 90 }, summary: { total: { lines: { pct: 95 }, branches: { pct: 80 }, functions: { pct: 90 }, statements: { pct: 95 } } } }];

describe('the verification report', () => {
  it('reads every id a test name mentions, once each', () => {
    expect(idsIn('pings [SRS-001 SRS-002] and again SRS-001')).toEqual(['SRS-001', 'SRS-002']);
    expect(idsIn('no id here, nor XSRS-001x')).toEqual([]);
  });

  it('passes when every requirement has a passing test and coverage meets its threshold', () => {
    const a = analyse(srs, [suite([tc('ping [SRS-001]'), tc('connect [SRS-002]'), tc('untagged')])], coverage);
    expect(a.ok).toBe(true);
    expect(a.failures).toEqual([]);
    expect(a.counts).toMatchObject({ requirements: 2, verified: 2, passed: 3, tagged: 2 });
    expect(summaryLine(a)).toMatch(/^verify: PASSED: 2\/2 requirements verified/);
  });

  it('fails for a requirement with no test or no passing test, and lists the failing test', () => {
    const a = analyse(srs, [suite([tc('ping [SRS-001]', 'failed')])], coverage);
    expect(a.ok).toBe(false);
    expect(a.failures.map((f) => `${f.kind} ${f.where}`)).toEqual([
      'test packages/x/src/a.test.ts › ping [SRS-001]',
      'requirement SRS-001',
      'requirement SRS-002',
    ]);
    expect(a.requirements.map((r) => r.status)).toEqual(['not verified', 'not verified']);
  });

  it('fails for a test naming an id srs.json does not define', () => {
    const a = analyse(srs, [suite([tc('ping [SRS-001]'), tc('connect [SRS-002]'), tc('typo [SRS-020]')])], coverage);
    expect(a.ok).toBe(false);
    expect(a.failures).toEqual([expect.objectContaining({ kind: 'unknown-id', message: expect.stringContaining('SRS-020') })]);
  });

  it('fails for coverage under its threshold and for a suite without results', () => {
    const low = [{ ...coverage[0], threshold: { lines: 96 } }];
    const a = analyse(srs, [suite([tc('[SRS-001] [SRS-002]')]), { project: 'tools/y', error: 'no results' }], low);
    expect(a.failures.map((f) => f.kind)).toEqual(['suite', 'coverage']);
  });

  it('checks srs.json: array, id pattern, unique ids, group and description', () => {
    expect(checkSrs(srs)).toEqual([]);
    expect(checkSrs({})).toHaveLength(1);
    expect(checkSrs([{ id: 'REQ-1', group: 'g', description: 'd' }, srs[0], srs[0], { id: 'SRS-003', group: '', description: '' }])).toHaveLength(4);
  });

  it('renders Markdown and a self-contained HTML page with the text escaped', () => {
    const a = analyse(srs, [suite([tc('ping <b>&</b> [SRS-001]'), tc('connect [SRS-002]')])], coverage);
    const env = [['date', '2026-01-01T00:00:00.000Z'], ['Node.js', 'v22.0.0']];
    const html = renderHtml(a, env);
    expect(html).toContain('ping &lt;b&gt;&amp;&lt;/b&gt; [SRS-001]');
    expect(html).not.toMatch(/<script|<link|src=/);
    const md = renderMarkdown(a, env);
    expect(md).toContain('| SRS-002 | client | connects with a handshake | 1 / 1 | verified |');
    expect(md).toContain('| Node.js | v22.0.0 |');
  });
});
