/**
 * Pure domain types of a check-in. Nothing here does I/O or reads the clock.
 */

/** How a person describes themselves; "unspecified" when they'd rather not say. */
export type Role = 'recovery' | 'partner' | 'unspecified';

export type TemplateId = 'rebuild-trust' | 'fanos' | 'daily-trust-meter';

export interface ScaleQuestion {
  kind: 'scale';
  min: 0;
  max: 10;
  /** Words for the two ends of the scale, shown under the question. */
  lowLabel: string;
  highLabel: string;
}

export interface TextQuestion {
  kind: 'text';
  maxLength: number;
}

export interface ChoiceQuestion {
  kind: 'choice';
  options: { id: string; label: string }[];
}

export type QuestionShape = ScaleQuestion | TextQuestion | ChoiceQuestion;

export type Question = QuestionShape & {
  /** Stable id, unique within a template; stored with every answer. */
  id: string;
  /** Short name used in review lists, trends and summaries ("Safety"). */
  label: string;
  /** The question as asked. */
  prompt: string;
  /** Optional line shown under the prompt. */
  hint?: string;
  /**
   * A safety question: private by default whatever the value; a low score shows support
   * resources first; never posted anywhere unless its author shares it at review.
   */
  safety?: boolean;
  /** Only asked of these roles; everyone when absent. */
  roles?: Role[];
  /** Asked only in every n-th round of a couple (1-based round number divisible by n). */
  everyNthRound?: number;
  /** This question's answers are trust deposits (see the reveal's deposit note). */
  deposit?: boolean;
  /** Shown side by side with a trend in the reveal. */
  trend?: boolean;
};

export interface Template {
  id: TemplateId;
  name: string;
  /** One line shown with the check-in prompt. */
  intro: string;
  questions: Question[];
}

/** One stored answer, already unsealed. `value` is null when skipped. */
export interface AnswerRecord {
  id: number;
  roundId: number;
  memberId: number;
  questionId: string;
  /** Scale answers are the digits "0".."10"; choice answers the option id; text the text. */
  value: string | null;
  shared: boolean;
  /** Text matched crisis wording; sharing it needs a second confirmation. */
  crisis: boolean;
}

export type RoundStatus = 'open' | 'revealed' | 'closed';

/** What happened to one participant's answers in a round. */
export interface Participation {
  memberId: number;
  submittedAt: number | null;
  /** After a one-sided close the submitter chooses; null until then or when not relevant. */
  release: 'released' | 'kept' | null;
}

/** A round as the visibility function sees it. Times are epoch milliseconds. */
export interface RoundView {
  id: number;
  coupleId: number;
  template: TemplateId;
  /** 1-based count of rounds this couple has had, for occasional questions. */
  sequence: number;
  status: RoundStatus;
  openedAt: number;
  revealedAt: number | null;
  closedAt: number | null;
  participants: Participation[];
  answers: AnswerRecord[];
}

/** Who is looking. A member is the author of their answers and the partner of the other's. */
export type Recipient =
  | { kind: 'member'; memberId: number }
  | {
      kind: 'channel';
      channelId: number;
      /** "scores": scale answers only; "words": scales and shared text. */
      scope: ConsentScope;
      /** Rounds opened before this moment (or in it) are never shown to the channel. */
      consentedAt: number;
    };

export type ConsentScope = 'scores' | 'words';

export type SegmentStyle = 'plain' | 'bold' | 'italic' | 'quote' | 'code';

/** A run of text. Adapters escape it; it can never carry markup. A "\n" text is a line break. */
export interface Segment {
  style: SegmentStyle;
  text: string;
  /** The stored answers this segment shows (a trend shows several): lets tests check who may see them. */
  answerIds?: number[];
}
