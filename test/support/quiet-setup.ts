/**
 * Vitest setup: the test processes filter Node's experimental-feature
 * warnings as the `compute` command does, so `npm test` prints the test
 * runner's own output. Tests that check the command's stderr start the
 * real binary in a child process, which this does not touch.
 */
import '../../cli/quiet-warnings.ts';
