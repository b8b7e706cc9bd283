/** Portfolio value above which a user is reviewed, in account currency. */
export const HIGH_VALUE = 250_000;

/** Risk band from a user's declared profile and the size of their portfolio. */
export function riskBand(profile: string, value: number): 'low' | 'medium' | 'high' {
  if (profile === 'aggressive' || value > HIGH_VALUE) return 'high';
  if (profile === 'balanced') return 'medium';
  return 'low';
}
