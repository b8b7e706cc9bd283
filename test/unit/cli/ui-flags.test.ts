import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.ts';

describe('compute ui flags', () => {
  it('refuses a port that is not a port number, before opening anything', async () => {
    for (const port of ['abc', '70000', '1.5']) {
      const result = await cli(['ui', '--port', port, '--project', '/nonexistent']);
      expect(result.code, port).toBe(2);
      expect(result.stderr).toContain(`--port must be a port number; got '${port}'`);
    }
  });
});
