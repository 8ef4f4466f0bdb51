import { operationSignal } from '../../src/schema/context.js';

describe('operationSignal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('aborts with a TimeoutError when the deadline passes', () => {
    const { signal } = operationSignal(new AbortController().signal, 1000);
    jest.advanceTimersByTime(999);
    expect(signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts with the caller’s reason when the caller goes away, before or after it is made', () => {
    const caller = new AbortController();
    const { signal } = operationSignal(caller.signal, 1000);
    const reason = new DOMException('client closed', 'AbortError');
    caller.abort(reason);
    expect(signal.reason).toBe(reason);

    const gone = new AbortController();
    gone.abort(reason);
    expect(operationSignal(gone.signal, 1000).signal.reason).toBe(reason);
  });

  it('after dispose, neither the deadline nor the caller aborts it', () => {
    const caller = new AbortController();
    const { signal, dispose } = operationSignal(caller.signal, 1000);
    dispose();
    jest.advanceTimersByTime(5000);
    caller.abort();
    expect(signal.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });
});
