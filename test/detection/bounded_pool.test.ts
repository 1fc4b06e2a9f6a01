import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedPool } from '../../src/detection/bounded_pool.js';

test('BoundedPool: never more than max objects; a waiter gets the first one released, in order', async () => {
  let made = 0;
  const pool = new BoundedPool(() => ({ id: ++made }), 2);
  const a = await pool.acquire();
  const b = await pool.acquire();
  assert.equal(pool.size, 2);
  const order: number[] = [];
  const third = pool.acquire().then((item) => (order.push(1), item));
  const fourth = pool.acquire().then((item) => (order.push(2), item));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'waiters wait while every object is lent');
  pool.release(b);
  assert.equal(await third, b);
  pool.release(a);
  assert.equal(await fourth, a);
  assert.deepEqual(order, [1, 2]);
  assert.equal(made, 2);
  pool.release(a);
  assert.equal(await pool.acquire(), a, 'a released object is lent again, not a new one');
  assert.equal(made, 2);
  assert.throws(() => new BoundedPool(() => 0, 0), /max must be at least 1/);
});

test('bounded pool: tryAcquire lends an idle object or makes one under the bound, and never waits', async () => {
  let made = 0;
  const pool = new BoundedPool(() => ({ id: ++made }), 1);
  const a = pool.tryAcquire();
  assert.deepEqual(a, { id: 1 });
  assert.equal(pool.tryAcquire(), undefined, 'none while the only one is lent');
  pool.release(a!);
  assert.equal(pool.tryAcquire(), a, 'the released one again');
  const waiter = pool.acquire();
  pool.release(a!);
  assert.equal(await waiter, a, 'a release goes to a waiter first');
  assert.equal(made, 1);
});
