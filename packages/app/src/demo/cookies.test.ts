import { describe, expect, it } from 'vitest';
import { cookieValue } from './cookies.js';

describe('cookieValue', () => {
  it('finds a cookie among others, decoded, first occurrence first', () => {
    expect(cookieValue('a=1; inflow_pid=abc%2Ddef; b=2', 'inflow_pid')).toBe('abc-def');
    expect(cookieValue('inflow_pid=first; inflow_pid=second', 'inflow_pid')).toBe('first');
    expect(cookieValue('inflow_pid="quoted"', 'inflow_pid')).toBe('quoted');
  });

  it('does not match a cookie whose name only ends with the name asked for', () => {
    expect(cookieValue('x_inflow_pid=evil', 'inflow_pid')).toBeUndefined();
  });

  it('answers undefined for no header, no such cookie or a value that cannot be decoded', () => {
    expect(cookieValue(undefined, 'inflow_pid')).toBeUndefined();
    expect(cookieValue('other=1', 'inflow_pid')).toBeUndefined();
    expect(cookieValue('inflow_pid=%E0%A4%A', 'inflow_pid')).toBeUndefined();
  });
});
