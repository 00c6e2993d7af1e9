// Prints the demo's story: numbered steps, what was observed, and a clear word when something is missing.

let step = 0;

export function chapter(title: string): void {
  step++;
  console.log(`\n== ${step}. ${title}`);
}

export function say(text: string): void {
  console.log(`   ${text}`);
}

export function show(label: string, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  console.log(`   ${label}:\n${text.split('\n').map((l) => `     ${l}`).join('\n')}`);
}

export class MissingPrerequisite extends Error {
  constructor(readonly what: string, readonly howToGet: string) {
    super(`${what} is not available. ${howToGet}`);
  }
}

/**
 * Runs one act of the demo: `main`, then `cleanup` on success, failure, SIGINT (130) and SIGTERM (143), exiting with
 * the code. `done` is the closing line; `onFailure` adds a hint after a failure's stack.
 */
export function runAct(act: { main: () => Promise<void>; cleanup: () => Promise<void>; done: string; onFailure?: () => string }): void {
  let cleaning = false;
  const finish = async (code: number): Promise<never> => {
    if (!cleaning) {
      cleaning = true;
      await act.cleanup().catch((error: unknown) => console.error(`demo: cleanup: ${String(error)}`));
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void finish(130));
  process.on('SIGTERM', () => void finish(143));
  act.main()
    .then(() => {
      chapter('Done');
      say(act.done);
      return finish(0);
    })
    .catch((err: unknown) => {
      if (err instanceof MissingPrerequisite) console.error(`\ndemo: ${err.message}`);
      else console.error(`\ndemo failed: ${err instanceof Error ? err.stack : String(err)}${act.onFailure ? `\n${act.onFailure()}` : ''}`);
      return finish(1);
    });
}
