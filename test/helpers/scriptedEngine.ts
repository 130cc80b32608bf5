/** The scripted torch engine of test/fixtures/fake_engine, and the interpreter that runs it. */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export const scriptedEnginePython = process.env.EMBEDDING_LENS_TEST_PYTHON || 'python3';
export const scriptedEngineDir = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'fake_engine');

/** A skip reason when there is no interpreter to run the scripted engine, else false. */
export const noScriptedEnginePython: string | false = (() => {
  try {
    execFileSync(scriptedEnginePython, ['-c', 'pass']);
    return false;
  } catch {
    return `no ${scriptedEnginePython} to run the scripted engine`;
  }
})();
