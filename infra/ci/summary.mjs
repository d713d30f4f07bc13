// Prints vitest's JSON report as one plain closing line, "N passed, M failed[, K skipped]", and exits
// non-zero when anything failed or nothing ran. A file that fails to load has no failed test of its
// own, so failed files are reported beside the tests.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const failedFiles = (report.testResults ?? []).filter((file) => file.status === 'failed').length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const parts = [`${passed} passed`, `${failed} failed`];
if (failedFiles > 0) parts.push(`${failedFiles} file${failedFiles === 1 ? '' : 's'} failed`);
if (skipped > 0) parts.push(`${skipped} skipped`);
console.log(parts.join(', '));
process.exit(failed > 0 || failedFiles > 0 || passed === 0 ? 1 : 0);
