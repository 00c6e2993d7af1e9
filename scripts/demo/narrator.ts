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
