import { describe, expect, it } from 'vitest';
import {
  ComputeError,
  PoisonMessageError,
  StaleLeaseError,
  StaleStateError,
  UsageError,
  UserError,
  VersionSkewError,
} from '../../shared/errors.ts';

describe('the error hierarchy', () => {
  it('gives every error of the system a stable code under one root', () => {
    const errors = [
      new UserError('CONFIG_INVALID', 'bad config'),
      new UsageError('bad flag'),
      new PoisonMessageError('INVALID_EVENT', 'bad event'),
      new StaleLeaseError({ computation: 'Totals', date: '2026-01-26' }, 3, 4),
      new StaleStateError('Totals', '2026-01-26', null, '2026-01-26T00:00:00Z'),
      new VersionSkewError('Totals', 'a'.repeat(64), 'b'.repeat(64)),
    ];
    expect(errors.every((error) => error instanceof ComputeError)).toBe(true);
    expect(errors.map((error) => error.code)).toEqual([
      'CONFIG_INVALID',
      'USAGE',
      'INVALID_EVENT',
      'STALE_LEASE',
      'STALE_STATE',
      'VERSION_SKEW',
    ]);
  });

  it('rebuilds a version skew from its text after a thread boundary, still answered as one', () => {
    const original = new VersionSkewError('Totals', 'a'.repeat(64), 'b'.repeat(64));
    const rebuilt = VersionSkewError.fromMessage(original.message);
    expect(rebuilt).toBeInstanceOf(VersionSkewError);
    expect(rebuilt).toBeInstanceOf(ComputeError);
    expect([rebuilt.code, rebuilt.name, rebuilt.message]).toEqual([
      'VERSION_SKEW',
      'VersionSkewError',
      original.message,
    ]);
  });
});
