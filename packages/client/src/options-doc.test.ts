import { join } from 'node:path';
import { optionsTableProblems } from '@socket-oneline/testkit/options-table';

// The README is the package's registry page: every option must be findable there, with the
// default the code documents. A new option without a README row fails here.
const readme = join(__dirname, '..', 'README.md');
const cases = [
  { file: 'options.ts', name: 'OnelineClientOptions' },
  { file: 'options.ts', name: 'RequestOptions' },
  { file: 'json-client.ts', name: 'JsonClientOptions' },
  { file: 'launch.ts', name: 'LaunchOptions' },
  { file: 'launch.ts', name: 'StopOptions' },
];

describe('the README options tables', () => {
  it.each(cases)('list every option of $name with the default its TSDoc gives [SRS-058]', ({ file, name }) => {
    expect(optionsTableProblems({ file: join(__dirname, file), name, readme })).toEqual([]);
  });
});
