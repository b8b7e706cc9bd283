// The module a worker thread starts from. A thread has its own `process`, so
// Node's experimental-feature warnings are filtered here too, and before the
// worker's modules are even linked (linking loads node:sqlite, which warns).
import './quiet-warnings.ts';

await import('./worker-thread.ts');
