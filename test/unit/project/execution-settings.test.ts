import { describe, expect, it } from 'vitest';
import { UserError } from '../../../shared/errors.ts';
import { EXECUTION_SETTINGS, type ExecutionKey } from '../../../shared/project/execution-settings.ts';
import { parseProjectConfig } from '../../../shared/project/project-config.ts';
import { DEFAULT_SETTINGS, settingsFor } from '../../../shared/runtime/service-ports.ts';

const keys = Object.keys(EXECUTION_SETTINGS) as ExecutionKey[];

describe('the execution settings, declared once', () => {
  it('gives the runtime the defaults README documents, in milliseconds where the config says seconds', () => {
    const settings = settingsFor({}, 'owner');
    expect(settings).toMatchObject({
      leaseStaleMs: 300_000,
      breakerThreshold: 0.3,
      breakerMinEntities: 100,
      maxInFlightBatches: 16,
      computationConcurrency: 4,
      entityTimeoutMs: 300_000,
      computationTimeoutMs: 3_600_000,
      globalComputationTimeoutMs: 3_600_000,
      batchTimeoutMs: 540_000,
      shutdownGraceMs: 8_000,
      requestBudgetMs: null,
    });
    expect(DEFAULT_SETTINGS).toEqual({
      ...settings,
      ownerId: undefined,
      inlineContextBytes: DEFAULT_SETTINGS.inlineContextBytes,
    });
  });

  it('carries every key a config accepts to its runtime setting', () => {
    // A value each key accepts and none has as its default: a key the config takes but settingsFor drops would keep its default.
    const given = Object.fromEntries(keys.map((key) => [key, EXECUTION_SETTINGS[key].unit === 'ratio' ? 0.77 : 7]));
    const config = parseProjectConfig({ execution: given }, '/tmp');
    const settings = settingsFor(config.execution, 'owner') as unknown as Record<string, number>;
    for (const key of keys) {
      const { runtime, unit } = EXECUTION_SETTINGS[key];
      expect({ key, value: settings[runtime] }).toEqual({
        key,
        value: unit === 'ratio' ? 0.77 : unit === 'seconds' ? 7000 : 7,
      });
    }
  });

  it('refuses a bad value with the message a user reads, naming the key', () => {
    const refused = (execution: unknown) => {
      try {
        parseProjectConfig({ execution }, '/tmp');
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        return (error as UserError).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ leaseTtlSeconds: 0 })).toContain('execution.leaseTtlSeconds');
    expect(refused({ batchTimeoutSeconds: 601 })).toContain('execution.batchTimeoutSeconds');
    expect(refused({ breakerThreshold: 2 })).toContain('execution.breakerThreshold');
    expect(refused({ leaseStaleMs: 1000 })).toContain('leaseStaleMs');
  });
});
