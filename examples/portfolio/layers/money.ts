/** Rounds a money amount to cents, so results do not carry float noise. */
export function cents(amount: number): number {
  return Math.round(amount * 100) / 100;
}
