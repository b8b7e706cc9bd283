/** The icon of each computation status, as the seed's operations manual shows them. */
export const STATUS_ICONS: Readonly<Record<string, string>> = {
  completed: '✅',
  partial: '⚠️',
  skipped: '⏭️',
  blocked: '⛔',
  impossible: '🚫',
  failed: '❌',
  running: '🏃',
  pending: '⏳',
};
