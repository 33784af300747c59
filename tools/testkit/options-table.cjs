'use strict';
// Checks a README's options table against an options interface in the code, so a new option
// cannot go undocumented and a documented default cannot drift from the TSDoc `@defaultValue`.
// The TypeScript compiler API reads the interface (inherited members of our own interfaces
// included); the README table is the first Markdown table after the heading that names it.
const ts = require('typescript');
const { readFileSync } = require('node:fs');

const SIZE_UNITS = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/**
 * The literal a default cell or `@defaultValue` starts with: a number (`16 MiB` and
 * `` `16777216` `` alike), a boolean, or a quoted string; `undefined` when it is prose
 * (`silent`, `(required)`) and there is nothing to compare.
 */
function literalOf(text) {
  // `{@link DEFAULT_MAX_LINE_LENGTH} (1048576)` compares by the figure in parentheses.
  const s = text
    .replace(/`/g, '')
    .trim()
    .replace(/^\{@link [^}]+\}\s*\(([^)]*)\)/, '$1');
  let m = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB)\b/.exec(s);
  if (m) return Number(m[1]) * SIZE_UNITS[m[2]];
  m = /^0o([0-7]+)\b/.exec(s);
  if (m) return parseInt(m[1], 8);
  m = /^-?\d+(?:\.\d+)?(?![\w.])/.exec(s);
  if (m) return Number(m[0]);
  m = /^(true|false)\b/.exec(s);
  if (m) return m[1] === 'true';
  m = /^'([^']*)'/.exec(s);
  if (m) return `'${m[1]}'`;
  return undefined;
}

/** Options declared in `file` by interface `name`: `[{ name, defaultValue }]`, in declaration order. */
function interfaceOptions(file, name) {
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  let decl;
  ts.forEachChild(source, (node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name) decl = node;
  });
  if (!decl) throw new Error(`no interface ${name} in ${file}`);
  const type = checker.getTypeAtLocation(decl);
  const out = [];
  for (const prop of checker.getPropertiesOfType(type)) {
    const d = prop.declarations?.[0];
    // Members inherited from Node's own types (tls.TlsOptions...) are not ours to document.
    if (!d || d.getSourceFile().fileName.includes('/node_modules/')) continue;
    const tag = prop.getJsDocTags(checker).find((t) => t.name === 'defaultValue');
    out.push({ name: prop.getName(), defaultValue: tag ? ts.displayPartsToString(tag.text) : undefined });
  }
  return out;
}

/** Rows `| \`name\` | default | ... |` of the first table after the heading line that contains `heading`. */
function readmeTable(markdown, heading) {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => /^#{1,6} /.test(l) && l.includes(heading));
  if (at < 0) return undefined;
  const rows = new Map();
  let seen = false;
  for (let i = at + 1; i < lines.length; i++) {
    const l = lines[i];
    if (/^#{1,6} /.test(l)) break;
    if (!l.startsWith('|')) {
      if (seen) break;
      continue;
    }
    seen = true;
    const cells = l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const m = /^`([A-Za-z_$][\w$]*)`$/.exec(cells[0] ?? '');
    if (m) rows.set(m[1], cells[1] ?? '');
  }
  return rows;
}

/**
 * Compares the options interface `name` in `file` with the table under the README heading that
 * contains `heading` (default: `` `name` ``). Returns the problems found, `[]` when they agree.
 */
function optionsTableProblems({ file, name, readme, heading = `\`${name}\`` }) {
  const markdown = readFileSync(readme, 'utf8');
  const table = readmeTable(markdown, heading);
  if (!table) return [`${readme}: no heading containing ${heading}`];
  const problems = [];
  const code = interfaceOptions(file, name);
  for (const opt of code) {
    const cell = table.get(opt.name);
    if (cell === undefined) {
      problems.push(`${name}.${opt.name} is not in the README table`);
      continue;
    }
    if (cell === '') problems.push(`${name}.${opt.name} has no default in the README table`);
    if (opt.defaultValue === undefined) continue;
    const want = literalOf(opt.defaultValue);
    if (want !== undefined && literalOf(cell) !== want) {
      problems.push(`${name}.${opt.name}: the README says ${cell}, the TSDoc @defaultValue says ${opt.defaultValue}`);
    }
  }
  const known = new Set(code.map((o) => o.name));
  for (const row of table.keys()) if (!known.has(row)) problems.push(`the README documents ${name}.${row}, which the code does not have`);
  return problems;
}

module.exports = { optionsTableProblems, interfaceOptions, readmeTable, literalOf };
