import { parseArgs } from 'node:util';
import { copy } from '../src/checkin/copy.ts';
import { plainText, type SimPerson, Simulation } from '../src/demo/simulation.ts';

// What a therapist channel costs the engine, in-process on a real SQLite file (no Redis, no
// platform): the transaction of the second [Send my check-in] (reveal, outbox rows for the
// partner and the channel), rendering the channel's post at send time (visibility over the
// round and its trend history, unsealing every answer), and /trends in the group, for a couple
// whose channel has already seen R check-ins.
//
//   npm run bench:channels [-- --rounds R] [-- --samples S]

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '100' },
    samples: { type: 'string', default: '30' },
  },
});
const ROUNDS = Number(values.rounds);
const SAMPLES = Number(values.samples);
if (!Number.isInteger(ROUNDS) || ROUNDS < 0) throw new Error('--rounds must be a whole number');
if (!Number.isInteger(SAMPLES) || SAMPLES < 1) throw new Error('--samples must be a positive integer');

const DAY = 86_400_000;
const out = (line = '') => process.stdout.write(`${line}\n`);
const sim = new Simulation();
const a = sim.person('A');
const b = sim.person('B', 'discord');
const therapist = sim.person('T');
const group = sim.group('Practice', 'telegram', 3);
group.managers.add(therapist);

function onboard(p: SimPerson, role: string, code = ''): void {
  p.say(`/start ${code}`.trim());
  p.press(role);
  p.say('UTC');
  p.press(copy.onboarding.safetyOptions.yes);
}

/** Answers whatever is asked (a score, or words) until the review, then stops there. */
function answerAll(p: SimPerson, score: number, words: string): void {
  for (let n = 0; n < 20; n++) {
    const m = p.inbox.at(-1)!.message;
    if (m.buttons?.flat().some((x) => x.label === copy.review.send)) return;
    if (m.expectsText) p.say(`${words} ${n}`);
    else p.press(String(score));
  }
  throw new Error('never reached the review');
}

/** Both answer a whole check-in; the time of B's [Send my check-in] (the reveal) is returned. */
function round(i: number): number {
  sim.advance(DAY);
  a.say('/checkin');
  answerAll(a, i % 11, `walks ${i}`);
  a.press(copy.review.send);
  sim.deliverOutbox();
  b.press(copy.checkin.start);
  answerAll(b, 10 - (i % 11), `tea ${i}`);
  const t0 = performance.now();
  b.press(copy.review.send);
  return performance.now() - t0;
}

function stats(ms: number[]): string {
  const s = [...ms].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms (${s.length} samples)`;
}

try {
  onboard(a, copy.onboarding.roles.recovery);
  a.say('/pair');
  const code = /\/join (\S+)/.exec(a.last())![1]!;
  onboard(b, copy.onboarding.roles.partner, code);
  b.press(copy.pairing.joinButton);
  const link = group.command(therapist, '/link');
  const channelCode = /\/therapist (\S+)/.exec(plainText(link[0]!))![1]!;
  a.say(`/therapist ${channelCode}`);
  a.press(copy.channel.agreeWords);
  sim.deliverOutbox();
  b.press(copy.channel.agreeWords);
  sim.deliverOutbox();

  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    round(i);
    sim.deliverOutbox();
  }
  out(`history: ${ROUNDS} shared check-ins in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const reveal: number[] = [];
  const render: number[] = [];
  const trends: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    reveal.push(round(ROUNDS + i));
    const row = sim.engine.pendingOutbox().find((r) => r.kind === 'channel-reveal');
    if (!row) throw new Error('no channel post was queued');
    const r0 = performance.now();
    const rendered = sim.engine.renderOutbox(row.id);
    render.push(performance.now() - r0);
    if ('cancel' in rendered) throw new Error(`the channel post was cancelled: ${rendered.cancel}`);
    sim.deliverOutbox();
    const q0 = performance.now();
    group.command(therapist, '/trends');
    trends.push(performance.now() - q0);
  }
  const db = sim.store.sqlite
    .prepare('select page_count * page_size n from pragma_page_count(), pragma_page_size()')
    .get() as {
    n: number;
  };
  out(`reveal (second send, channel row queued)  ${stats(reveal)}`);
  out(`channel post rendered at send time        ${stats(render)}`);
  out(`/trends in the group                      ${stats(trends)}`);
  out(
    `database                                  ${(db.n / 2 ** 20).toFixed(1)} MiB for ${ROUNDS + SAMPLES} rounds`,
  );
  out(`peak RSS                                  ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`);
} finally {
  sim.close();
}
