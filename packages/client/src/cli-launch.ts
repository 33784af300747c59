/**
 * `oneline --launch "CMD ARGS"`: the command line of the program to launch, split without a
 * shell, and how its exit is reported. Used by cli.ts.
 */
import { UsageError } from './cli-json.js';
import type { ProgramExit } from './launch.js';

/**
 * Splits a command line into words as a POSIX shell would for simple cases, with no shell
 * features: whitespace separates words; 'single quotes' keep everything; "double quotes" keep
 * everything but `\"` and `\\`; a backslash outside quotes escapes the next character.
 * @throws UsageError for an unterminated quote, a trailing backslash or an empty command.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new UsageError('--launch: a backslash at the end escapes nothing');
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new UsageError(`--launch: unterminated ${quote === "'" ? 'single' : 'double'} quote`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new UsageError('--launch needs a command, e.g. --launch "python3 app.py --port 0"');
  return words;
}

/** One line for stderr: how the launched program ended. */
export function describeExit(exit: ProgramExit): string {
  const how = exit.signal !== null ? `was ended by ${exit.signal}` : `exited with code ${exit.code}`;
  return exit.by === 'exit' ? `the program ${how}` : `the program did not exit in time and ${how}`;
}
