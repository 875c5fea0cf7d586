import type { Clock } from '../../bot/ports.js';

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(public current = new Date('2026-03-01T12:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}
