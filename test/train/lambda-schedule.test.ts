/**
 * The L0 phase's λ controller (lambda-schedule.ts): its schedule, its causality (a block's
 * λ reads only blocks two back), its snapshot, and that it steers a model of gates whose
 * density falls while λ is above the level the task can resist and creeps back below it,
 * to the target from either side of λ₀.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLOCK, LambdaController, SCHEDULE_END, type LambdaSchedule } from '../../src-main/train/lambda-schedule.js';

const T = 0.005;

test('constant: λ₀ at every step, whatever is observed', () => {
  const c = new LambdaController({ schedule: 'constant', lambda: 1e-7, target: T, phaseSteps: 100 });
  for (let s = 0; s < 100; s++) { assert.equal(c.lambdaAt(s), 1e-7); c.observe(s, 0.9); }
});

test('target density: dense at the start, falling, the target from SCHEDULE_END of the phase on', () => {
  const c = new LambdaController({ schedule: 'target', lambda: 1e-7, target: T, phaseSteps: 1000 });
  assert.equal(c.targetDensity(0), 1);
  for (let s = 1; s < 1000; s++) assert.ok(c.targetDensity(s) <= c.targetDensity(s - 1));
  assert.equal(c.targetDensity(Math.ceil(SCHEDULE_END * 1000)), T);
  assert.equal(c.targetDensity(999), T);
});

test('holdDense h: τ dense and λ at λ₀ for the first h of the phase, whatever is observed; then the fall, to the target by SCHEDULE_END', () => {
  const steps = 1000, h = 0.25, held = h * steps;
  const c = new LambdaController({ schedule: 'target', lambda: 1e-7, target: T, phaseSteps: steps, holdDense: h });
  const unheld = new LambdaController({ schedule: 'target', lambda: 1e-7, target: T, phaseSteps: steps });
  for (let s = 0; s < held; s++) {
    assert.equal(c.targetDensity(s), 1);
    assert.equal(c.lambdaAt(s), 1e-7, `step ${s}`);
    if (s === 3 * BLOCK) assert.ok(unheld.lambdaAt(s) < 1e-8, 'unheld, a density far under τ lowers λ');
    c.observe(s, 0.2); unheld.observe(s, 0.2);
  }
  assert.equal(c.lambdaAt(held + 1), 1e-7);
  assert.ok(c.targetDensity(held + 1) < 1);
  for (let s = held + 1; s < steps; s++) assert.ok(c.targetDensity(s) <= c.targetDensity(s - 1));
  assert.equal(c.targetDensity(Math.ceil(SCHEDULE_END * steps)), T);
  for (let s = held; s < held + 2 * BLOCK; s++) c.observe(s, 1);
  assert.ok(c.lambdaAt(held + 3 * BLOCK) > 1e-7, 'past the hold, a density above τ raises λ');
  for (const bad of [-0.1, SCHEDULE_END, 1]) assert.throws(() => new LambdaController({ schedule: 'target', lambda: 1e-7, target: T, phaseSteps: steps, holdDense: bad }), /holdDense must be in/);
});

test('a block\'s λ reads blocks up to two back only; unobserved ones are an error; a snapshot resumes the same λ', () => {
  const c = new LambdaController({ schedule: 'target', lambda: 1e-7, target: T, phaseSteps: 400 });
  for (let s = 0; s < 2 * BLOCK; s++) assert.equal(c.lambdaAt(s), 1e-7, 'no full block two back yet');
  assert.throws(() => c.lambdaAt(2 * BLOCK), /needs block 0/);
  for (let s = 0; s < BLOCK; s++) c.observe(s, 1); // above τ(s) < 1: λ rises
  const at = c.lambdaAt(2 * BLOCK);
  assert.ok(at > 1e-7);
  for (let s = BLOCK; s < 2 * BLOCK - 1; s++) c.observe(s, 0.5);
  assert.equal(c.lambdaAt(3 * BLOCK - 1), at, 'block 2 does not see block 1 yet');
  const restored = new LambdaController({ schedule: 'target', lambda: 1e-7, target: T, phaseSteps: 400 }, JSON.parse(JSON.stringify(c.snapshot())));
  c.observe(2 * BLOCK - 1, 0.5); restored.observe(2 * BLOCK - 1, 0.5);
  assert.equal(restored.lambdaAt(3 * BLOCK), c.lambdaAt(3 * BLOCK));
  assert.ok(c.lambdaAt(3 * BLOCK) < at, 'block 1 sat under τ: λ falls');
});

/**
 * Gates under Adam: while λ is above the level λ* the task gradient resists, the density
 * falls by a factor per step that grows with log(λ/λ*); below it the gates reopen ten
 * times slower. The step size decays linearly like the trainer's learning rate.
 */
function simulate(schedule: LambdaSchedule, lambdaStar: number, steps: number): { final: number; lambdas: number[] } {
  const c = new LambdaController({ schedule, lambda: 1e-7, target: T, phaseSteps: steps });
  let density = 0.99;
  const lambdas: number[] = [];
  for (let s = 0; s < steps; s++) {
    const lambda = c.lambdaAt(s), rate = 0.1 * (1 - s / steps);
    lambdas.push(lambda);
    const push = Math.tanh(Math.log(lambda / lambdaStar));
    density = Math.min(0.99, density * Math.exp(-rate * (push > 0 ? push : push / 10)));
    c.observe(s, density);
  }
  return { final: density, lambdas };
}

for (const [label, lambdaStar] of [['λ* = λ₀ / 30 (the gates give way at λ₀, as on CoLA)', 1e-7 / 30], ['λ* = 30 λ₀ (they resist λ₀, as on STS-B)', 3e-6]] as const) {
  // A short phase leaves the controller few blocks to settle in: 2× there, 1.25× over a long one.
  for (const [steps, within] of [[240, 2], [6000, 1.25]]) {
    test(`target: ends within ${within}× of the target density, ${label}, ${steps} steps`, () => {
      const { final, lambdas } = simulate('target', lambdaStar, steps);
      assert.ok(final / T < within && T / final < within, `ended at density ${final} (λ from ${lambdas[0]} to ${lambdas.at(-1)})`);
    });
  }
}

test('constant λ in the same model misses the target on both sides', () => {
  assert.ok(simulate('constant', 1e-7 / 30, 6000).final < T / 10);
  assert.ok(simulate('constant', 3e-6, 6000).final > 0.5);
});
