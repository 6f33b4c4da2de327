import {
  type GroupReceived,
  plainText,
  type Received,
  type SimPerson,
  Simulation,
} from './demo/simulation.ts';

// `npm run demo`: two simulated partners go from /start to the shared summary against the real
// engine on a temporary database, with their therapist's group linked and agreed to. No
// accounts, no network; everything printed is what each person would see in their own private
// chat, or what the group sees.

const WIDTH = 74;
const sim = new Simulation();
const alex = sim.person('Alex');
const sam = sim.person('Sam', 'discord');
const rivera = sim.person('Dr Rivera');
const group = sim.group('Rivera Counseling', 'telegram', 3);
group.managers.add(rivera);
let shown = 0;
let shownInGroup = 0;

function show(title?: string): void {
  if (title) console.log(`\n${'═'.repeat(WIDTH)}\n  ${title}\n${'═'.repeat(WIDTH)}`);
  for (const r of sim.delivered.slice(shown)) printMessage(r);
  for (const r of sim.groupDelivered.slice(shownInGroup)) printMessage(r);
  shown = sim.delivered.length;
  shownInGroup = sim.groupDelivered.length;
}

function printMessage(r: Received | GroupReceived): void {
  const to =
    'actor' in r.to
      ? `${r.to.name} (${r.to.actor.platform}`
      : `the group "${r.to.title}" (${r.to.chat.platform}`;
  const head = `── to ${to}${r.via === 'outbox' ? ', sent by the bot' : ''}) `;
  console.log(`\n${head}${'─'.repeat(Math.max(4, WIDTH - head.length))}`);
  console.log(
    plainText(r.message)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
}

function act(who: SimPerson, what: string, fn: () => unknown): void {
  console.log(`\n  ▶ ${who.name}: ${what}`);
  fn();
  show();
}

function answerAll(who: SimPerson, answers: (string | number | null)[]): void {
  for (const a of answers) {
    if (a === null) act(who, 'skips', () => who.press('Skip'));
    else if (typeof a === 'number') act(who, `taps ${a}`, () => who.press(String(a)));
    else act(who, `types "${a}"`, () => who.say(a));
  }
}

try {
  show('Alex starts the bot on Telegram');
  act(alex, '/start', () => alex.say('/start'));
  act(alex, "taps “I'm in recovery”", () => alex.press("I'm in recovery"));
  act(alex, 'types a time zone', () => alex.say('America/Chicago'));
  act(alex, 'taps “Yes”', () => alex.press('Yes'));
  act(alex, '/pair', () => alex.say('/pair'));

  const code = /\/join (\S+)/.exec(alex.last())![1]!;
  show('Sam joins from Discord with the code');
  act(sam, `/join ${code.slice(0, 6)}…`, () => sam.say(`/join ${code}`));
  act(sam, "taps “I'm the partner”", () => sam.press("I'm the partner"));
  act(sam, 'taps “Chicago”', () => sam.press('Chicago'));
  act(sam, "taps “I'd rather not say”", () => sam.press("I'd rather not say"));
  act(sam, 'taps “Join”', () => sam.press('Join'));
  sim.deliverOutbox();
  show();

  show('Their therapist links a group; each partner agrees privately');
  console.log('\n  ▶ Dr Rivera, an admin of the group "Rivera Counseling": /link');
  const linked = group.command(rivera, '/link');
  show();
  const channelCode = /\/therapist (\S+)/.exec(plainText(linked[0]!))![1]!;
  act(alex, `/therapist ${channelCode.slice(0, 6)}…`, () => alex.say(`/therapist ${channelCode}`));
  act(alex, 'taps “I agree: scores and shared words”', () => alex.press('I agree: scores and shared words'));
  sim.deliverOutbox();
  show();
  act(sam, 'taps “I agree: scores only”', () => sam.press('I agree: scores only'));
  sim.deliverOutbox();
  show();
  sim.advance(60_000);

  show('Alex opens a check-in; Sam gets a neutral prompt');
  act(alex, '/checkin', () => alex.say('/checkin'));
  sim.deliverOutbox();
  show();
  answerAll(alex, [
    7,
    6,
    5,
    'Our Sunday walks.',
    'I told you about a hard moment on Thursday, the same day.',
    4,
    2,
    "I'm scared of letting you down, and I'm still here.",
  ]);
  act(alex, 'taps “Send my check-in”', () => alex.press('Send my check-in'));

  show('Sam answers, keeps one answer private, and sends');
  act(sam, 'taps “Start”', () => sam.press('Start'));
  answerAll(sam, [
    6,
    5,
    3,
    "That you'll tell me the truth, even when it's hard.",
    'I went to my support group even though I was tired.',
    6,
    null,
    'I noticed you told me on Thursday. It mattered.',
  ]);
  act(sam, 'opens “Something to count on”', () => sam.press('Something to count on'));
  act(sam, 'taps “Keep it private”', () => sam.press('Keep it private'));
  act(sam, 'taps “Send my check-in”', () => sam.press('Send my check-in'));
  sim.deliverOutbox();
  show('The reveal reached Alex, and the group got the scores: the narrower of the two consents');
  console.log(
    `\nDone. Sam's private answer never reached Alex; safety scores stayed private; the group saw\n` +
      'scores only, as "Partner 1" and "Partner 2". Run the tests with: npm test\n',
  );
} finally {
  sim.close();
}
