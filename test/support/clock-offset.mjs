// Preloaded with `node --import` into a child process: shifts its wall clock
// (Date.now(), new Date()) by COMPUTE_TEST_CLOCK_OFFSET_MS milliseconds, as a
// host whose clock is off would be. Timers and performance.now() are left alone.
const offset = Number(process.env.COMPUTE_TEST_CLOCK_OFFSET_MS ?? '0');
if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offset);
      else super(...args);
    }
    static now() {
      return RealDate.now() + offset;
    }
  }
  globalThis.Date = ShiftedDate;
}
