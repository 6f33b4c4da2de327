import type { CountryResources } from './resources.ts';

/**
 * Every word the bot says, in one place. Voice rules (../shared/COPY.md): short, plain, warm;
 * no exclamation marks, no emoji in safety or consent text; "your partner", never a name, in
 * anything proactive; proactive messages open with a line that reveals nothing on a lock screen.
 */
export const copy = {
  // Proactive openers: the first line is all a lock screen shows.
  ready: 'Your check-in is ready.',
  update: "There's an update in your check-in.",

  /** Question wording, by template; templates.ts gives them their shape. */
  questions: {
    consistency: {
      label: 'Consistency',
      prompt: "How consistent and reliable do you feel you've been since the last check-in?",
      low: 'not at all',
      high: 'completely',
    },
    reliability: {
      label: 'Reliability as felt',
      prompt: 'How reliable has your partner felt to you?',
      low: 'not at all',
      high: 'completely',
    },
    safety: {
      label: 'Safety',
      prompt: 'How safe do you feel in the relationship right now?',
      low: 'not safe',
      high: 'very safe',
    },
    countOn: {
      label: 'Something to count on',
      prompt: "What's one thing you can count on right now — in your partner, yourself, or your life?",
    },
    deposit: {
      label: 'Trust deposit',
      prompt: 'What did you add to your trust account since last time? Small things count.',
    },
    fear: { label: 'Fear', prompt: 'How much fear are you carrying today?', low: 'none', high: 'a lot' },
    anger: { label: 'Anger', prompt: 'How much anger?', low: 'none', high: 'a lot' },
    hear: {
      label: 'What I want you to hear',
      prompt: 'What do you want your partner to hear — without needing them to fix it?',
    },
    story: { label: 'Our story', prompt: 'What does this season mean for your story together?' },
    feelings: { label: 'Feelings', prompt: 'Feelings: what have you been feeling since the last check-in?' },
    affirmation: {
      label: 'Affirmation',
      prompt: 'Affirmation: what is something you appreciate about your partner?',
    },
    needs: {
      label: 'Needs',
      prompt: "Needs: what do you need right now? It doesn't have to be from your partner.",
    },
    ownership: {
      label: 'Ownership',
      prompt: 'Ownership: what is something you want to own — a choice, a word, a reaction?',
    },
    sobriety: {
      label: 'Sobriety',
      prompt: 'Sobriety: how has your sobriety been since the last check-in? Specific, but not graphic.',
    },
    struggles: {
      label: 'Struggles',
      prompt: 'Struggles: what has been hard for you — checking, obsessing, withdrawing, anything else?',
    },
    sobrietyOrStruggles: {
      label: 'Sobriety or struggles',
      prompt:
        'Sobriety or struggles: how have things been for you since the last check-in? Specific, but not graphic.',
    },
    meterSafety: {
      label: 'Safety',
      prompt: 'Safety: how safe do you feel right now?',
      low: 'not safe',
      high: 'very safe',
    },
    meterTrust: {
      label: 'Trust',
      prompt: 'Trust: how much trust do you feel right now?',
      low: 'none',
      high: 'full',
    },
    meterConnection: {
      label: 'Connection',
      prompt: 'Connection: how connected do you feel to your partner right now?',
      low: 'not at all',
      high: 'very',
    },
    instinct: {
      label: 'First instinct',
      prompt: 'Your first instinct, in a few words: how are you, really?',
    },
  },

  templates: {
    'rebuild-trust': {
      name: 'Rebuild trust',
      intro: 'Consistency, safety, trust deposits, and what you want each other to hear.',
    },
    fanos: { name: 'FANOS', intro: 'Feelings, affirmation, needs, ownership, sobriety or struggles.' },
    'daily-trust-meter': { name: 'Daily trust meter', intro: 'Safety, trust and connection: a quick read.' },
  },

  onboarding: {
    welcome:
      'Hi. I help couples in recovery check in with each other, privately and on a rhythm you choose. ' +
      "Each of you answers on your own; your partner sees only what you choose to share, and only after you've both answered.",
    privacy:
      'Before we start: if anyone else can read your phone or this chat, they could read what you write here. ' +
      'Use a device and account only you can open. You can clear my messages, pause, export or delete everything ' +
      'at any time — /privacy explains how.',
    role: 'Which fits you best?',
    roles: { recovery: "I'm in recovery", partner: "I'm the partner", unspecified: "I'd rather not say" },
    zone: "Which time zone are you in? I'll use it for your check-in times.",
    zoneHint: 'Or type a name like Europe/Berlin.',
    zoneFormLabel: 'Time zone',
    /** Common zones offered as buttons: [IANA name, button label]. */
    commonZones: [
      ['America/New_York', 'New York'],
      ['America/Chicago', 'Chicago'],
      ['America/Denver', 'Denver'],
      ['America/Los_Angeles', 'Los Angeles'],
      ['America/Toronto', 'Toronto'],
      ['Europe/London', 'London'],
      ['Europe/Berlin', 'Berlin'],
      ['Australia/Sydney', 'Sydney'],
      ['Australia/Perth', 'Perth'],
    ] as const,
    useButtons: 'Please pick one of the buttons above.',
    zoneUnknown:
      "I don't recognise that time zone. Try a name like America/Chicago or Europe/London, or pick one of the buttons.",
    zoneSet: (zone: string) => `Got it: ${zone}.`,
    safety: 'One private question, just for you. Do you feel safe with your partner right now?',
    safetyOptions: { yes: 'Yes', no: 'Not really', unspecified: "I'd rather not say" },
    notSafe:
      "Thank you for telling me. This stays between us — your partner won't be told. If you ever want support " +
      "with what's happening, the people at these numbers are there any time.",
    soloOffer:
      'You can still use me on your own: private check-ins, just for you. Send /checkin whenever you like.',
    done: "You're all set. Send /pair to invite your partner, or /checkin to check in on your own. /help shows everything I can do.",
    finishFirst: "Let's finish setting up first. It only takes a moment.",
    welcomeBack: 'Welcome back. /status shows where things are, and /help shows what I can do.',
  },

  pairing: {
    invite: (link: string) =>
      `Here's a one-time link for your partner. It works once and expires in 48 hours: ${link}`,
    inviteCode: 'Or they can send me this code, in any app I work in:',
    joinCommand: (code: string) => `/join ${code}`,
    invited: 'Your partner invited you to check in together. Join them?',
    joinButton: 'Join',
    notNow: 'Not now',
    declined: 'No problem. The invitation stays unused. You can check in on your own with /checkin.',
    connected: (when: string) =>
      `You're connected. Your first check-in is ${when}. You can change it with /schedule.`,
    badCode: "That code doesn't work. Ask for a new one with /pair.",
    noLink: 'send them the code below',
    slowDown:
      "That code doesn't work. Too many codes have been tried from here, so please wait a little and ask your partner for a new one with /pair.",
    needCode: 'To join your partner, send /join followed by the code they sent you.',
    alreadyPaired:
      "You're already connected with a partner. To start over with someone else, send /unpair first.",
    notPaired: "You're not connected with a partner. Send /pair to invite them.",
    unpairConfirm:
      'This ends your pairing. Your answers stay yours, and your partner will only see that the pairing ended.',
    unpairButton: 'End our pairing',
    unpaired: 'Your pairing has ended. You can still check in on your own with /checkin.',
    ended: 'Your check-in pairing has ended.',
  },

  checkin: {
    prompt: 'It takes about five minutes. Skip anything you like. /pause takes a break from check-ins.',
    soloPrompt: 'A few minutes, just for you. Skip anything you like. /pause takes a break from check-ins.',
    start: 'Start',
    skip: 'Skip',
    support: 'I need support now',
    skippable: 'You can skip this one.',
    safetyNote: 'This stays private unless you choose to share it.',
    textHint: (max: number) => `Type your answer (up to ${max} characters), or skip.`,
    pickNumber: 'Please pick a number with the buttons, or skip.',
    progress: (n: number, of: number) => `Question ${n} of ${of}`,
    tooLong: (length: number, max: number) =>
      `That's ${length} characters, and I can keep up to ${max}. Could you shorten it? Nothing is lost — the question is still open.`,
    empty: 'That looked empty. Type your answer, or skip.',
    resumed: "Here's where you were.",
    alreadySent: "You've already sent your check-in. I'll show you both once your partner has finished.",
    waiting: "Thank you. Your check-in is in. I'll show you both once your partner has finished.",
    dailyLimit: "You've had two check-ins today already. The next one can start tomorrow.",
    closed: 'This check-in has closed.',
    staleButton: "That button is from an earlier step. Here's where you are now.",
    staleGeneric: "That button is from an earlier step, so I've left things as they were.",
    paused: 'Check-ins are paused right now. Send /resume to start them again.',
    scaleEnds: (min: number, low: string, max: number, high: string) => `${min} = ${low}, ${max} = ${high}.`,
    pickButton: 'Please pick one of the buttons, or skip.',
    crisisKept:
      "I've kept that answer private. If you still want your partner to see it, you can share it at the end — I'll ask once more.",
    lowScore: "Thank you for being honest about that. If it would help to talk to someone, they're here:",
    stillHere: "I'm still here when you're ready to continue.",
    continue: 'Continue',
  },

  review: {
    heading: "Here's what your partner will see once you've both finished:",
    soloHeading: "Here's your check-in:",
    nothingShared: 'Nothing yet — everything is kept private.',
    keptPrivate: 'Kept private:',
    skipped: 'skipped',
    send: 'Send my check-in',
    howToChange: 'Tap an answer to change it or to switch it between shared and private.',
    change: (label: string) => label,
    answerHeading: (label: string) => label,
    sharedState: 'Shared with your partner.',
    privateState: 'Kept private.',
    share: 'Share it',
    keep: 'Keep it private',
    edit: 'Change my answer',
    back: 'Back to review',
    confirmCrisis:
      'This answer mentioned something painful. Do you want your partner to see it? You can keep it private and still send the rest.',
    confirmShare: 'Yes, share it',
  },

  reveal: {
    opening: "You've both checked in. Take a breath, and read your partner's words first.",
    soloOpening: "Here's your check-in, with how things have moved lately.",
    partnerWords: 'Your partner',
    nothingShared: 'Nothing shared this time.',
    yourWords: 'You',
    scores: 'Side by side',
    deposits: 'Trust deposits',
    noDeposit: 'not this time',
    oneSidedDeposits:
      "Trust grows when you both add to it. What's one small deposit you could make this week?",
    closing:
      "Before you reply, tell your partner what you heard. You don't have to agree — just show you listened.",
    partnerKept: 'Your partner kept their answers private this time.',
    released: 'Your partner shared their check-in, though it closed before you finished yours:',
  },

  deadline: {
    releaseAsk: 'The check-in closed before your partner finished. Do you want them to see what you shared?',
    releaseButton: 'Share it',
    keepButton: 'Keep it private',
    released: 'Done. Your partner can now see what you shared.',
    kept: 'Done. What you wrote stays private.',
    closedKept:
      'The check-in closed before your partner finished. Nothing you wrote was shared, so it stays private.',
    closedForYou: (next: string | null) =>
      next ? `This check-in has closed. The next one is ${next}.` : 'This check-in has closed.',
  },

  status: {
    paired: "You're connected with your partner.",
    solo: "You're checking in on your own.",
    notPaired: "You're not connected with a partner yet. /pair invites them; /checkin works on your own too.",
    next: (when: string) => `Next check-in: ${when}.`,
    noNext: 'No check-in is scheduled.',
    notScheduled: 'not scheduled yet',
    afterResume: 'after you resume',
    pausedUntil: (date: string) => `Check-ins are paused until ${date}.`,
    pausedIndefinitely: 'Check-ins are paused until you send /resume.',
    partnerUnreachable: "I can't reach your partner at the moment.",
    open: 'A check-in is open. Send /checkin to continue it.',
    openSent: "A check-in is open. You've sent yours.",
    schedule: (days: string, time: string, zone: string) => `Rhythm: ${days} at ${time} (${zone}).`,
  },

  pause: {
    paused: (date: string) => `Check-ins are paused until ${date}.`,
    pausedIndefinitely: 'Check-ins are paused until you send /resume.',
    partnerPaused: 'Check-ins are paused for now.',
    resumed: 'Check-ins are back on.',
    partnerResumed: 'Check-ins are back on.',
    notPaused: "Check-ins aren't paused.",
    nothingToPause: 'There are no check-ins to pause yet. /checkin starts one whenever you like.',
    howToResume: 'Send /resume whenever you want them back.',
    invalid:
      'I couldn\'t read that date. Try "/pause until Friday", "/pause 2 weeks", "/pause 2026-12-24", or just /pause.',
  },

  history: {
    heading: 'Your recent check-ins:',
    none: "There's no check-in history yet.",
    round: (when: string) => `Check-in of ${when}`,
    you: 'You',
    partner: 'Your partner',
    notShown: 'Nothing shared.',
    noAnswers: 'No answers.',
    private: 'private',
    more: 'Older check-ins are in /export.',
  },

  schedule: {
    how: 'To change it, send /schedule with days and a time, and a time zone if you like: "/schedule sun 19:00", "/schedule mon,thu 8:30", "/schedule daily 9pm Europe/London".',
    invalid: "I couldn't read that. I need at least one day and a time.",
    changed: 'Done. Your check-in rhythm is set.',
    partnerChanged: (line: string) => `Your partner changed your check-in rhythm. ${line}`,
  },

  template: {
    ask: 'Which check-in would you like to use? It starts with the next check-in.',
    current: (name: string) => `Now: ${name}.`,
    changed: (name: string) => `Done. Your next check-ins use ${name}.`,
    partnerChanged: (name: string) =>
      `Your partner chose a different check-in format: ${name}. It starts with the next check-in.`,
  },

  /** Therapist channels: a group a therapist invites a couple into, posted to only with both partners' consent. */
  channel: {
    // In the group or channel.
    notManager: 'Only someone who manages this group or channel can link it to a couple.',
    cannotPost:
      "I can't post in this channel yet. Add me to it with permission to send messages (on Discord, install me to the server), then send /link again.",
    linkCode: "Here's a one-time code for the couple you work with. It works once and expires in 48 hours:",
    linkCommand: (code: string) => `/therapist ${code}`,
    linkHow:
      'The first partner who sends it to me in our private chat links this channel to their check-ins. ' +
      'Nothing is posted here until both partners agree, and either of them can stop it at any time.',
    alreadyLinked:
      "This channel is already linked to a couple's check-ins. To link it again, one of the partners sends me /revoke first.",
    linked: 'A couple has linked this channel. Nothing is posted here until both partners agree.',
    active: (scope: 'scores' | 'words') =>
      `Both partners agreed. After each check-in they both finish, I'll post ${scope === 'scores' ? 'their scores' : 'their scores and the words they chose to share'} here.`,
    ended: "Sharing from this couple's check-ins has ended.",
    revealOpener: 'A new check-in from this couple.',
    opening: 'Both partners finished a check-in.',
    nothingShared: 'Nothing from this check-in was shared for this channel.',
    trendsHeading: (n: number) =>
      n === 1 ? 'Scores from the one shared check-in so far:' : `Scores over the last ${n} shared check-ins:`,
    noTrends: 'No check-ins have been shared here yet.',
    notLinked: 'No couple is sharing check-ins here.',
    groupHelp:
      'Here I answer only /link (for whoever manages this group or channel) and /trends. Check-ins happen in a private chat with me.',
    /** How partners appear in a channel: never by name. */
    partnerLabels: ['Partner 1', 'Partner 2'] as const,

    // In a partner's private chat.
    notPaired:
      'A therapist channel is for couples who check in together. Send /pair to invite your partner first.',
    needCode:
      "To link your therapist's channel, send /therapist followed by the code they posted there. /therapist on its own shows what is linked now.",
    badCode:
      "That code doesn't work. Ask your therapist for a new one: they can send /link in their channel again.",
    slowDown:
      "That code doesn't work. Too many codes have been tried from here, so please wait a little and ask your therapist for a new one.",
    howToStop: '/revoke stops sharing at any time, for you both.',
    consentAsk: (title: string, members: number | null, label: string) => [
      `Your couple has been invited to share check-ins with "${title}"${members === null ? '' : ` (${members === 1 ? '1 member' : `${members} members`})`}.`,
      "If you agree, after each check-in you've both finished I'll post there either your scores only, or your scores and the words you chose to share. If you and your partner choose differently, I use the narrower one.",
      'Things you keep private, and your safety answers unless you share them in a check-in, are never posted. Nothing from before you both agreed is posted either.',
      `There you appear as "${label}", never by name.`,
      "This chat app is not a clinical record and isn't covered by HIPAA. You can stop this at any time with /revoke, and so can your partner.",
    ],
    agreeScores: 'I agree: scores only',
    agreeWords: 'I agree: scores and shared words',
    notNow: 'Not now',
    waitingForPartner: 'Thank you. Nothing is posted until your partner agrees too.',
    nowActive: (title: string, scope: 'scores' | 'words') =>
      `Sharing with "${title}" is on: ${scope === 'scores' ? 'scores only' : 'scores and the words you chose to share'}. It starts with the next check-in you both finish. /revoke stops it at any time.`,
    declined: 'Okay. Nothing is posted there. If you change your mind, send /therapist.',
    alreadyAgreed: (title: string) => `You've already agreed to share with "${title}". /revoke stops it.`,
    inviteEnded: 'That invitation has ended, so nothing was changed.',
    none: 'No therapist channel is linked. When your therapist sends /link in their group or channel, send me /therapist with the code they get.',
    statusLine: (title: string, state: string) => `"${title}": ${state}`,
    states: {
      active: (scope: 'scores' | 'words') =>
        `sharing ${scope === 'scores' ? 'scores only' : 'scores and the words you chose to share'}`,
      waitingForYou: 'waiting for your answer',
      waitingForPartner: 'waiting for your partner',
    },
    revoked:
      'Done. Nothing more will be posted to the therapist channel. To share again, your therapist can send /link there.',
    nothingToRevoke: 'Nothing is being shared with a therapist channel.',
    /** To the other partner, proactively: neutral, no reason, no name. */
    partnerEnded: 'Sharing with the therapist channel has ended.',
  },

  exported: "Here's everything I hold about you, as a file. Keep it somewhere safe: it holds your answers.",

  clear: {
    done: "I've asked the app to remove my messages from your latest check-in.",
    limited:
      "I've removed what the app allows. Some messages may be too old for me to delete — you can delete them yourself.",
    nothing: 'There are no messages of mine from a recent check-in to clear.',
  },

  deletion: {
    confirm:
      "This deletes everything I hold about you and ends your pairing. Your partner will only see that the pairing ended. This can't be undone.",
    button: 'Delete everything',
    cancel: 'Cancel',
    done: 'Everything I held about you is deleted. If you ever want to come back, send /start.',
    cancelled: 'Nothing was deleted.',
  },

  support: {
    resources: (r: CountryResources) => resourceLines(r),
    notShared: 'None of this is shared with your partner.',
  },

  privacy: [
    'What I keep: your answers, sealed with a key of your own. Your partner sees an answer only if you mark it shared, and only after you have both finished.',
    'Safety answers stay private unless you choose, at review, to share them.',
    'If anyone else can read your phone or this chat, they could read what you write here.',
    '/clear removes my messages from your latest check-in where the app allows. /pause stops check-ins for a while. /export gives you everything I hold. /delete erases it all, for good.',
  ],

  help: {
    heading: 'What I can do:',
    commands: [
      ['/checkin', 'start or continue a check-in'],
      ['/status', 'where things are and when the next check-in is'],
      ['/pair', 'invite your partner'],
      ['/join', 'join your partner with their code'],
      ['/schedule', 'see or change when check-ins happen'],
      ['/template', 'choose the check-in format'],
      ['/pause', 'pause check-ins, for example "/pause until Friday"'],
      ['/resume', 'start check-ins again'],
      ['/history', 'your recent check-ins'],
      ['/therapist', "link or see your therapist's channel"],
      ['/revoke', "stop sharing with your therapist's channel"],
      ['/support', 'people you can talk to right now'],
      ['/privacy', 'what I keep and who sees it'],
      ['/clear', 'remove my messages from your latest check-in'],
      ['/export', 'everything I hold about you, as a file'],
      ['/unpair', 'end your pairing'],
      ['/delete', 'delete everything'],
    ] as const,
    stop: 'You can pause, leave or delete at any time.',
    /** Commands a platform menu also lists, beyond the ones above. */
    extra: [
      ['/start', 'set up, or pick up where you left off'],
      ['/help', 'what I can do'],
    ] as const,
    /** Commands for a therapist's group or channel. */
    group: [
      ['/link', 'link this group to a couple (for whoever manages it)'],
      ['/trends', "the linked couple's shared scores over time"],
    ] as const,
    /** Descriptions of command options, for platforms that ask for them. */
    options: {
      code: 'the code your partner sent you',
      channelCode: 'the code your therapist got with /link',
      until: 'for example "Friday", "2 weeks" or "2026-12-24"; empty for until you resume',
      when: 'days and a time, for example "sun 19:00" or "mon,thu 8:30"',
    },
    formButton: 'Type my answer',
    formTitle: 'Your answer',
  },

  reminder: (until: string) => `Your check-in is still open until ${until}.`,
  useButtons: 'Please use the buttons above, or send /checkin to see where you are.',
  unknownCommand: "I don't know that command. /help shows what I can do.",
  nothingAsked:
    "I'm not asking anything right now. Send /checkin to start a check-in, or /help to see what I can do.",
  groupPointer: 'Check-ins happen in our private chat, so your answers stay yours. Send me a message there.',
  startFirst: 'Hi. Send /start to begin.',
  somethingWrong:
    "Something went wrong on my side. Nothing you've written is lost — please try again in a moment.",
  cancelled: 'Okay.',
} as const;

/** The support lines for a person's country: emergency first, then people to talk to. */
function resourceLines(r: CountryResources): string[] {
  const lines = [`If you're in danger right now, call ${r.emergency}.`];
  if (r.talk.length > 0) lines.push(`You can talk to someone any time: ${r.talk.join(', or ')}.`);
  if (r.abuse.length > 0) lines.push(`For abuse or feeling unsafe at home: ${r.abuse.join(', or ')}.`);
  return lines;
}

/** Weekday names by ISO number, for schedules. */
export const weekdayNames = [
  '',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
];
