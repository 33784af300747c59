'use strict';
// A parent process for the "no orphans" tests: launches app.cjs with the built client, prints
// `child PID`, and once a line arrives on stdin ends as argv[2] says: `exit` (process.exit),
// `throw` (an uncaught error); `wait` runs until a signal ends it; `own-sigint` has a SIGINT
// handler of its own that stops the program gracefully and prints how it ended.
const { join } = require('node:path');
const { launch } = require('../../dist/cjs/index.js');

(async () => {
  const app = await launch(process.execPath, [join(__dirname, 'app.cjs')], { ready: /^listening on .*:(\d+)$/ });
  console.log(`child ${app.pid}`);
  const how = process.argv[2];
  if (how === 'wait') return setInterval(() => {}, 1000);
  if (how === 'own-sigint') {
    process.on('SIGINT', () => {
      void app.stop().then((exit) => {
        console.log(`stopped ${JSON.stringify(exit)}`);
        process.exit(0);
      });
    });
    return setInterval(() => {}, 1000);
  }
  process.stdin.once('data', () => {
    if (how === 'exit') process.exit(0);
    throw new Error('the harness crashed');
  });
})();
