/** Types whose values the client reads from a `.value` property (BigQuery._getValue, `_isCustomType`). */
const WRAPPED = /TIME|DATE|GEOGRAPHY|RANGE/;

/**
 * Query parameters as the @google-cloud/bigquery client must be given them.
 * For DATE, DATETIME, TIME, TIMESTAMP (and GEOGRAPHY, RANGE) the client
 * sends `value.value`, so a plain 'YYYY-MM-DD' string would reach BigQuery
 * as `"parameterValue": {}`, which is NULL: every window would read
 * nothing. Those values are wrapped as `{ value }`, in arrays too.
 */
export function clientParams(
  params: Record<string, unknown>,
  types: Record<string, string | string[]>,
): Record<string, unknown> {
  const encoded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    const type = types[name];
    const scalarType = Array.isArray(type) ? type[0] : type;
    const wrap = (v: unknown) =>
      typeof v === 'string' && scalarType !== undefined && WRAPPED.test(scalarType.toUpperCase()) ? { value: v } : v;
    encoded[name] = Array.isArray(value) ? value.map(wrap) : wrap(value);
  }
  return encoded;
}
