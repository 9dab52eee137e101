/** The deterministic row the crash tests append as row id n (shared by the child and the tests). */
export function expectedRow(n: number): { seq: number; text: string; plan: { n: number; ops: string[] }; ratio: number } {
  return {
    seq: n,
    text: `row-${n}-${'x'.repeat(n % 97)}`,
    plan: { n, ops: Array.from({ length: (n % 5) + 1 }, (_, i) => `op${i}`) },
    ratio: n / 7,
  };
}
