// The order in which jest hands files to its workers. jest's own sequencer runs the longest files
// first when it has their times from an earlier run, which keeps the workers busy to the end; on a
// fresh clone it has none and falls back to file size, so the browser and process tests (short files,
// the longest runs) started last: the browser test at 51 s of a 63 s run, 7 s past every other file.
// Here a file without a recorded time that runs processes (test/e2e/) starts first; everything else
// is jest's order. Plain JavaScript: jest imports a sequencer without transforming it.
import Sequencer from '@jest/test-sequencer';

const RUNS_PROCESSES = /[\\/]test[\\/]e2e[\\/]/;

export default class LongestFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const first = sorted.filter((test) => test.duration == null && RUNS_PROCESSES.test(test.path));
    return [...first, ...sorted.filter((test) => !first.includes(test))];
  }
}
