/** `computation-system/testing`: run a computation's process() in a unit test, without a warehouse or state. */
export { testComputation, ComputationTestError, TestInputError } from './test-computation.ts';
export type { TestComputationInput, TestLogLine, TestableComputation, StoredValue } from './test-computation.ts';
