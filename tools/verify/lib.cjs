// The verification report's logic, free of I/O so its tests can feed it data:
// requirement ids named by tests, the trace matrix, the checks, and the
// Markdown and HTML renderings. verify.mjs reads the files and writes the report.
'use strict';

/** An id as tests name it: `SRS-` and three or more digits. */
const ID_PATTERN = /\bSRS-\d{3,}\b/g;

/** The ids a test name mentions, each once, in order of appearance. */
function idsIn(name) {
  return [...new Set(name.match(ID_PATTERN) ?? [])];
}

/**
 * Checks srs.json's shape; returns problems (empty when fine).
 * @param {unknown} srs
 * @returns {string[]}
 */
function checkSrs(srs) {
  if (!Array.isArray(srs)) return ['srs.json must be an array of { id, group, description }'];
  const problems = [];
  const seen = new Set();
  srs.forEach((r, i) => {
    const where = `srs.json entry ${i + 1}`;
    if (typeof r !== 'object' || r === null) return problems.push(`${where} is not an object`);
    const { id, group, description } = r;
    if (typeof id !== 'string' || !/^SRS-\d{3,}$/.test(id)) problems.push(`${where}: id must look like SRS-001, got ${JSON.stringify(id)}`);
    else if (seen.has(id)) problems.push(`${where}: duplicate id ${id}`);
    else seen.add(id);
    if (typeof group !== 'string' || group === '') problems.push(`${where} (${String(id)}): group must be a non-empty string`);
    if (typeof description !== 'string' || description === '') problems.push(`${where} (${String(id)}): description must be a non-empty string`);
  });
  return problems;
}

/**
 * Builds the trace matrix and every check from the requirements, the suites'
 * jest results and the coverage figures.
 * @param {{ id: string, group: string, description: string }[]} srs
 * @param {{ project: string, expected: boolean, results?: any, error?: string }[]} suites
 * @param {{ project: string, summary?: any, threshold?: Record<string, number>, error?: string }[]} coverage
 */
function analyse(srs, suites, coverage) {
  const known = new Set(srs.map((r) => r.id));
  const trace = new Map(srs.map((r) => [r.id, []]));
  const failures = [];
  const unknownIds = [];
  const tests = [];
  for (const suite of suites) {
    if (suite.results === undefined) {
      failures.push({ kind: 'suite', where: suite.project, message: suite.error ?? 'no results: run the suites first' });
      continue;
    }
    if (suite.results.partial) failures.push({ kind: 'suite', where: suite.project, message: 'the last run was narrowed to some files or names: run the whole suite' });
    for (const file of suite.results.files) {
      if (file.failureMessage) failures.push({ kind: 'suite', where: file.file, message: file.failureMessage });
      for (const t of file.tests) {
        const ids = idsIn(t.fullName);
        const test = { project: suite.project, file: file.file, name: t.fullName, status: t.status, ids, failureMessages: t.failureMessages };
        tests.push(test);
        if (t.status === 'failed') failures.push({ kind: 'test', where: `${file.file} › ${t.fullName}`, message: t.failureMessages.join('\n') });
        for (const id of ids) {
          if (known.has(id)) trace.get(id).push(test);
          else unknownIds.push({ id, test });
        }
      }
    }
  }
  for (const u of unknownIds) failures.push({ kind: 'unknown-id', where: `${u.test.file} › ${u.test.name}`, message: `names ${u.id}, which srs.json does not define` });
  const requirements = srs.map((r) => {
    const t = trace.get(r.id);
    const passed = t.filter((x) => x.status === 'passed').length;
    const failed = t.filter((x) => x.status === 'failed').length;
    const status = passed > 0 && failed === 0 ? 'verified' : passed > 0 ? 'failing' : 'not verified';
    return { ...r, tests: t, passed, failed, status };
  });
  for (const r of requirements) {
    if (r.passed === 0) failures.push({ kind: 'requirement', where: r.id, message: r.tests.length === 0 ? 'no test names this requirement' : 'no test naming this requirement passed' });
  }
  const cov = coverage.map((c) => {
    if (c.summary === undefined) {
      failures.push({ kind: 'coverage', where: c.project, message: c.error ?? 'no coverage summary' });
      return { project: c.project, metrics: undefined, threshold: c.threshold ?? {}, ok: false };
    }
    const metrics = {};
    let ok = true;
    for (const m of ['lines', 'branches', 'functions', 'statements']) metrics[m] = c.summary.total[m].pct;
    for (const [m, min] of Object.entries(c.threshold ?? {})) {
      if (!(metrics[m] >= min)) {
        ok = false;
        failures.push({ kind: 'coverage', where: c.project, message: `${m} coverage ${metrics[m]}% is below the threshold of ${min}%` });
      }
    }
    return { project: c.project, metrics, threshold: c.threshold ?? {}, ok };
  });
  const counts = {
    requirements: requirements.length,
    verified: requirements.filter((r) => r.status === 'verified').length,
    tests: tests.length,
    passed: tests.filter((t) => t.status === 'passed').length,
    failed: tests.filter((t) => t.status === 'failed').length,
    skipped: tests.filter((t) => t.status !== 'passed' && t.status !== 'failed').length,
    tagged: tests.filter((t) => t.ids.length > 0).length,
  };
  return { requirements, tests, failures, coverage: cov, counts, ok: failures.length === 0 };
}

/** The one-line summary (.ci/run prints it). */
function summaryLine(a) {
  const c = a.counts;
  const cov = a.coverage.map((x) => `${x.project.split('/').pop()} ${x.metrics ? `${x.metrics.lines}%` : 'n/a'}`).join(', ');
  return (
    `verify: ${a.ok ? 'PASSED' : 'FAILED'}: ${c.verified}/${c.requirements} requirements verified; ` +
    `${c.passed} passed, ${c.failed} failed tests (${c.tagged} name a requirement); ` +
    `${a.failures.length} failing check${a.failures.length === 1 ? '' : 's'}; line coverage ${cov}`
  );
}

const mdCell = (s) => stripAnsi(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The report as Markdown. */
function renderMarkdown(a, env) {
  const out = [];
  out.push('# socket-oneline verification report', '');
  out.push(`**${a.ok ? 'PASSED' : 'FAILED'}**: ${summaryLine(a).replace(/^verify: \w+: /, '')}`, '');
  out.push('## Environment', '', '| what | value |', '| --- | --- |');
  for (const [k, v] of env) out.push(`| ${mdCell(k)} | ${mdCell(v)} |`);
  out.push('', '## Failing checks', '');
  if (a.failures.length === 0) out.push('None.');
  for (const f of a.failures) out.push(`- **${f.kind}** \`${mdCell(f.where)}\`: ${mdCell(firstLines(stripAnsi(f.message), 4))}`);
  out.push('', '## Coverage', '', '| package | lines | branches | functions | statements | thresholds | status |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const c of a.coverage) {
    const m = c.metrics ?? {};
    const th = Object.entries(c.threshold).map(([k, v]) => `${k} >= ${v}%`).join(', ');
    out.push(`| ${c.project} | ${pct(m.lines)} | ${pct(m.branches)} | ${pct(m.functions)} | ${pct(m.statements)} | ${th} | ${c.ok ? 'ok' : 'FAILED'} |`);
  }
  out.push('', '## Trace matrix', '', '| requirement | group | description | tests (passed / total) | status |', '| --- | --- | --- | --- | --- |');
  for (const r of a.requirements) out.push(`| ${r.id} | ${r.group} | ${mdCell(r.description)} | ${r.passed} / ${r.tests.length} | ${r.status} |`);
  out.push('', '## Tests per requirement', '');
  for (const r of a.requirements) {
    out.push(`### ${r.id} (${r.status})`, '', r.description, '');
    if (r.tests.length === 0) out.push('- no test names this requirement');
    for (const t of r.tests) out.push(`- ${t.status === 'passed' ? 'pass' : t.status.toUpperCase()}: \`${t.file}\` › ${mdCell(t.name)}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

const pct = (v) => (typeof v === 'number' ? `${v.toFixed(2)}%` : 'n/a');
const firstLines = (s, n) => String(s).split('\n').filter((l) => l.trim() !== '').slice(0, n).join(' / ');
// eslint-disable-next-line no-control-regex -- strips the ANSI colour codes jest puts in failure messages
const stripAnsi = (s) => String(s).replace(/\u001b\[[0-9;]*m/g, '');
const esc = (s) => stripAnsi(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const CSS = `
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0; background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 34px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.banner { border-radius: 8px; padding: 14px 18px; font-size: 17px; font-weight: 600; color: #fff; }
.banner.ok { background: var(--ok); } .banner.bad { background: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(135px, 1fr)); gap: 12px; margin: 16px 0 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: var(--bg); }
.card b { display: block; font-size: 24px; } .card span { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 6px 9px; overflow-wrap: anywhere; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; overflow-wrap: normal; } td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600; color: #fff; white-space: nowrap; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); } .badge.warn { background: var(--warn); }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--bg); padding: 1px 4px; border-radius: 4px; }
details { margin: 0; } summary { cursor: pointer; color: var(--muted); font-size: 13px; }
ul.tests { margin: 6px 0 0; padding-left: 18px; font-size: 13px; } ul.tests li { margin: 2px 0; }
pre { white-space: pre-wrap; font: 12px ui-monospace, monospace; background: var(--bg); padding: 8px; border-radius: 6px; max-height: 240px; overflow: auto; }
.id { font-weight: 600; white-space: nowrap; } .group { color: var(--muted); white-space: nowrap; }
`;

/** The report as one self-contained HTML page (inline CSS, no scripts, no external files). */
function renderHtml(a, env) {
  const badge = (ok, text) => `<span class="badge ${ok === true ? 'ok' : ok === 'warn' ? 'warn' : 'bad'}">${esc(text)}</span>`;
  const c = a.counts;
  const h = [];
  h.push('<!doctype html><html lang="en"><head><meta charset="utf-8">');
  h.push('<meta name="viewport" content="width=device-width, initial-scale=1"><title>socket-oneline verification report</title>');
  h.push(`<style>${CSS}</style></head><body><main>`);
  h.push('<h1>socket-oneline verification report</h1>');
  h.push(`<p class="sub">${esc(env.find(([k]) => k === 'date')?.[1] ?? '')} · requirements from <code>srs.json</code>, results from the jest suites</p>`);
  h.push(`<div class="banner ${a.ok ? 'ok' : 'bad'}">${a.ok ? 'PASSED' : 'FAILED'}: ${c.verified} of ${c.requirements} requirements verified, ${a.failures.length} failing check${a.failures.length === 1 ? '' : 's'}</div>`);
  h.push('<div class="cards">');
  const card = (n, label) => h.push(`<div class="card"><b>${esc(n)}</b><span>${esc(label)}</span></div>`);
  card(`${c.verified}/${c.requirements}`, 'requirements verified');
  card(c.passed, 'tests passed');
  card(c.failed, 'tests failed');
  card(c.tagged, 'tests naming a requirement');
  for (const cv of a.coverage) card(cv.metrics ? `${cv.metrics.lines.toFixed(1)}%` : 'n/a', `${cv.project.split('/').pop()} line coverage`);
  h.push('</div>');

  h.push('<h2>Failing checks</h2>');
  if (a.failures.length === 0) h.push('<p>None: every requirement has a passing test, every test passed, no test names an unknown id, coverage meets its thresholds.</p>');
  else {
    h.push('<table><thead><tr><th>kind</th><th>where</th><th>what</th></tr></thead><tbody>');
    for (const f of a.failures) h.push(`<tr><td>${badge(false, f.kind)}</td><td><code>${esc(f.where)}</code></td><td><pre>${esc(f.message)}</pre></td></tr>`);
    h.push('</tbody></table>');
  }

  h.push('<h2>Coverage</h2>');
  h.push('<table><thead><tr><th>package</th><th>lines</th><th>branches</th><th>functions</th><th>statements</th><th>thresholds</th><th>status</th></tr></thead><tbody>');
  for (const cv of a.coverage) {
    const m = cv.metrics ?? {};
    const th = Object.entries(cv.threshold).map(([k, v]) => `${k} ≥ ${v}%`).join(', ');
    h.push(`<tr><td><code>${esc(cv.project)}</code></td><td class="num">${pct(m.lines)}</td><td class="num">${pct(m.branches)}</td><td class="num">${pct(m.functions)}</td><td class="num">${pct(m.statements)}</td><td>${esc(th)}</td><td>${badge(cv.ok, cv.ok ? 'ok' : 'below')}</td></tr>`);
  }
  h.push('</tbody></table>');

  h.push('<h2>Environment</h2><table><tbody>');
  for (const [k, v] of env) h.push(`<tr><th>${esc(k)}</th><td>${String(v).split('; ').map(esc).join('<br>')}</td></tr>`);
  h.push('</tbody></table>');
  h.push('<h2>Trace matrix</h2>');
  h.push('<table><thead><tr><th>requirement</th><th>description and tests</th><th>passed</th><th>status</th></tr></thead><tbody>');
  for (const r of a.requirements) {
    const ok = r.status === 'verified' ? true : false;
    const list = r.tests.map((t) => `<li>${badge(t.status === 'passed' ? true : t.status === 'failed' ? false : 'warn', t.status)} <code>${esc(t.file)}</code> ${esc(t.name)}</li>`).join('');
    h.push(
      `<tr><td><span class="id">${esc(r.id)}</span><br><span class="group">${esc(r.group)}</span></td>` +
        `<td>${esc(r.description)}<details${ok ? '' : ' open'}><summary>${r.tests.length} test${r.tests.length === 1 ? '' : 's'}</summary><ul class="tests">${list || '<li>no test names this requirement</li>'}</ul></details></td>` +
        `<td class="num">${r.passed} / ${r.tests.length}</td><td>${badge(ok, r.status)}</td></tr>`,
    );
  }
  h.push('</tbody></table>');

  h.push('</main></body></html>');
  return `${h.join('\n')}\n`;
}

module.exports = { stripAnsi, ID_PATTERN, idsIn, checkSrs, analyse, summaryLine, renderMarkdown, renderHtml };
