import { copy } from './copy.ts';
import type { Question, Role, Template, TemplateId } from './types.ts';

const Q = copy.questions;
const TEXT_MAX = 1000;

function scale(
  id: string,
  w: { label: string; prompt: string; low: string; high: string },
  extra: Partial<Question> = {},
): Question {
  return {
    kind: 'scale',
    min: 0,
    max: 10,
    lowLabel: w.low,
    highLabel: w.high,
    id,
    ...w,
    ...extra,
  } as Question;
}

function text(id: string, w: { label: string; prompt: string }, extra: Partial<Question> = {}): Question {
  return { kind: 'text', maxLength: TEXT_MAX, id, label: w.label, prompt: w.prompt, ...extra } as Question;
}

/** The check-in formats therapists already use (DOMAIN.md), as data. */
export const TEMPLATES: Record<TemplateId, Template> = {
  'rebuild-trust': {
    id: 'rebuild-trust',
    ...copy.templates['rebuild-trust'],
    questions: [
      scale('consistency', Q.consistency, { trend: true }),
      scale('reliability', Q.reliability, { trend: true }),
      scale('safety', Q.safety, { safety: true, trend: true, hint: copy.checkin.safetyNote }),
      text('count-on', Q.countOn),
      text('deposit', Q.deposit, { deposit: true }),
      scale('fear', Q.fear, { trend: true }),
      scale('anger', Q.anger, { trend: true }),
      text('hear', Q.hear),
      text('story', Q.story, { everyNthRound: 4 }),
    ],
  },
  fanos: {
    id: 'fanos',
    ...copy.templates.fanos,
    questions: [
      text('feelings', Q.feelings),
      text('affirmation', Q.affirmation),
      text('needs', Q.needs),
      text('ownership', Q.ownership),
      text('sobriety', Q.sobriety, { roles: ['recovery'] }),
      text('struggles', Q.struggles, { roles: ['partner'] }),
      text('sobriety-or-struggles', Q.sobrietyOrStruggles, { roles: ['unspecified'] }),
    ],
  },
  'daily-trust-meter': {
    id: 'daily-trust-meter',
    ...copy.templates['daily-trust-meter'],
    questions: [
      scale('safety', Q.meterSafety, { safety: true, trend: true, hint: copy.checkin.safetyNote }),
      scale('trust', Q.meterTrust, { trend: true }),
      scale('connection', Q.meterConnection, { trend: true }),
      text('instinct', Q.instinct),
    ],
  },
};

/** The questions one person is asked in a round: by role, and occasional ones by round number. */
export function questionsFor(templateId: TemplateId, role: Role | null, sequence: number): Question[] {
  return TEMPLATES[templateId].questions.filter(
    (q) =>
      (!q.roles || q.roles.includes(role ?? 'unspecified')) &&
      (!q.everyNthRound || sequence % q.everyNthRound === 0),
  );
}

/** A question of a template by id, or undefined (an answer to a question since removed). */
export function findQuestion(templateId: TemplateId, questionId: string): Question | undefined {
  return TEMPLATES[templateId].questions.find((q) => q.id === questionId);
}

/** Whether a new answer to this question starts out shared: safety answers never do. */
export function sharedByDefault(question: Question): boolean {
  return !question.safety;
}

/** At or below this, a safety score shows support resources first. */
export const LOW_SAFETY_SCORE = 3;
