import { isDateTime, toUtcIso } from '../../src/upstream/date-time.js';

/** What the DateTime scalar always answered: the value through a Date, in UTC. */
const throughDate = (value: string) => new Date(value).toISOString();

describe('date-times without a Date', () => {
  it('gives what toISOString gives for every day, hour and edge of a leap and a common year', () => {
    const values: string[] = [];
    for (const year of ['2023', '2024', '1970', '0001', '9999']) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= 31; day++) {
          for (const time of ['00:00:00.000', '23:59:59.999', '12:30:45.123']) {
            values.push(`${year}-${pad(month)}-${pad(day)}T${time}Z`);
          }
        }
      }
    }
    const rolledOver = values.filter((v) => throughDate(v) !== v);
    // The check is not vacuous: impossible days exist among the inputs and are rolled over.
    expect(rolledOver).toContain('2023-02-29T00:00:00.000Z');
    expect(rolledOver).toContain('2024-04-31T23:59:59.999Z');
    expect(rolledOver).not.toContain('2024-02-29T00:00:00.000Z');
    for (const value of values) expect(toUtcIso(value)).toBe(throughDate(value));
  });

  it('accepts as a date-time exactly what Date.parse reads as a time', () => {
    const values = [
      '2024-05-01T12:00:00.000Z',
      '2023-02-29T00:00:00.000Z',
      '2024-05-01T14:00:00+02:00',
      '2024-05-01',
      '2024-13-01T00:00:00.000Z',
      '2024-05-01T12:00:60.000Z',
      'yesterday',
      '',
    ];
    const readable = values.filter((v) => !Number.isNaN(Date.parse(v)));
    expect(readable).toHaveLength(4);
    expect(values.filter((v) => isDateTime(v))).toEqual(readable);
    expect([1_700_000_000_000, null, undefined, new Date()].filter((v) => isDateTime(v))).toEqual([]);
  });

  it('normalises offsets, other precisions and Date objects to UTC with milliseconds', () => {
    for (const value of [
      '2024-05-01T14:00:00+02:00',
      '2024-05-01T12:00:00Z',
      '2024-05-01T12:00:00.5Z',
      '2024-05-01T12:00:00.000001Z',
      '2024-05-01T24:00:00.000Z',
    ]) {
      expect(toUtcIso(value)).toBe(throughDate(value));
    }
    expect(toUtcIso('2024-05-01T14:00:00+02:00')).toBe('2024-05-01T12:00:00.000Z');
    // A second past 59 is no time at all: refused as the Date path refuses it.
    expect(() => throughDate('2024-05-01T12:00:60.000Z')).toThrow(RangeError);
    expect(() => toUtcIso('2024-05-01T12:00:60.000Z')).toThrow(RangeError);
    expect(toUtcIso(new Date(Date.UTC(2024, 0, 2)))).toBe('2024-01-02T00:00:00.000Z');
  });
});

const pad = (n: number) => String(n).padStart(2, '0');
