import { afterAll, beforeAll, expect, test } from 'vitest';
import { startMoto, type Moto } from './moto.js';

let moto: Moto;
beforeAll(async () => { moto = await startMoto(); });
afterAll(async () => { await moto?.stop(); });

test('moto starts on loopback and resets', async () => {
  expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await moto.reset();
});
