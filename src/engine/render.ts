import { copy } from '../checkin/copy.ts';
import { formatWhen } from '../checkin/schedule.ts';
import { TEMPLATES } from '../checkin/templates.ts';
import type { Segment } from '../checkin/types.ts';
import { visibleAnswers } from '../checkin/visibility.ts';
import type { MemberRow, OutboxRow } from '../store/repo.ts';
import { renderChannelRow, renderConsentNotice } from './channels.ts';
import { releasedLines, summaryFor } from './checkin.ts';
import { bold, para, privateChat, type SayOptions, type Work } from './context.ts';
import { isPaused } from './couples.ts';
import { nextCheckinText } from './onboarding.ts';
import type { Button, OutboundMessage } from './types.ts';

/** A rendered outbox row, or why it should not be sent any more. */
export type Rendered = { send: OutboundMessage } | { cancel: string };

/**
 * Turns an outbox row into a message at send time. Rights are re-checked here by construction:
 * the text is built now, from the visibility function over what is stored now, so a deletion,
 * a revoke or a closed round since the row was written changes what (or whether) it sends.
 */
export function renderOutbox(w: Work, row: OutboxRow): Rendered {
  if (row.memberId === null)
    return row.channelId === null ? { cancel: 'no-recipient' } : renderChannelRow(w, row);
  const member = w.repo.member(row.memberId);
  if (!member) return { cancel: 'member-gone' };
  const round = row.roundId !== null ? w.repo.round(row.roundId) : undefined;
  const t = w.deps.tokens;
  const msg = (paragraphs: Segment[][], o: SayOptions = {}): Rendered => ({
    send: {
      type: 'message',
      to: privateChat(member),
      kind: o.kind ?? 'notice',
      // Every proactive message opens with a line that reveals nothing on a lock screen.
      paragraphs,
      private: true,
      ...(o.buttons ? { buttons: o.buttons } : {}),
      ...(o.protect ? { protect: true } : {}),
      ...(o.kind === 'summary' || o.openerAlone ? { openerAlone: true } : {}),
      ...(row.roundId !== null ? { roundId: row.roundId } : {}),
    },
  });
  const button = (label: string, action: string, ...args: (string | number)[]): Button[][] => [
    [{ label, token: t.mint(member.id, action, ...args) }],
  ];

  const notice = renderConsentNotice(w, row, member);
  if (notice) {
    if ('cancel' in notice) return notice;
    // These name the therapist's group: the neutral line goes alone, for the lock screen.
    return msg(notice.paragraphs, { buttons: notice.buttons, openerAlone: true });
  }
  switch (row.kind) {
    case 'prompt': {
      if (round?.status !== 'open') return { cancel: 'round-not-open' };
      if (w.repo.participation(round.id, member.id)?.submittedAt != null)
        return { cancel: 'already-submitted' };
      const couple = w.repo.couple(round.coupleId);
      if (couple?.status !== 'active' || isPaused(couple, w.now)) return { cancel: 'not-active' };
      const intro = couple.kind === 'solo' ? copy.checkin.soloPrompt : copy.checkin.prompt;
      return msg([para(copy.ready), para(intro)], {
        kind: 'prompt',
        buttons: button(copy.checkin.start, 'start', round.id),
      });
    }
    case 'reminder': {
      if (round?.status !== 'open') return { cancel: 'round-not-open' };
      if (w.repo.participation(round.id, member.id)?.submittedAt != null)
        return { cancel: 'already-submitted' };
      // Someone who paused is taking a break: no nudge, even for a round opened before.
      const couple = w.repo.couple(round.coupleId);
      if (couple?.status !== 'active' || isPaused(couple, w.now)) return { cancel: 'not-active' };
      const until = formatWhen(round.deadlineAt, zoneOf(member), w.now);
      return msg([para(copy.reminder(until))], {
        kind: 'prompt',
        buttons: button(copy.checkin.continue, 'start', round.id),
      });
    }
    case 'reveal': {
      const view = round && w.repo.roundView(round.id);
      if (view?.status !== 'revealed') return { cancel: 'not-revealed' };
      // The partner deleted everything meanwhile: what is left is no shared summary, and the
      // neutral "pairing ended" notice says all there is to say.
      if (view.participants.length < 2 && w.repo.couple(view.coupleId)?.kind === 'pair') {
        return { cancel: 'partner-gone' };
      }
      return msg([para(copy.update), ...summaryFor(w, view, member.id)], { kind: 'summary', protect: true });
    }
    case 'released': {
      const view = round && w.repo.roundView(round.id);
      if (!view) return { cancel: 'round-gone' };
      const lines = releasedLines(
        view,
        member.id,
        visibleAnswers(view, { kind: 'member', memberId: member.id }),
      );
      if (lines.length === 0) return { cancel: 'nothing-visible' };
      return msg([para(copy.update), para(bold(copy.reveal.released)), lines], {
        kind: 'summary',
        protect: true,
      });
    }
    case 'release-ask': {
      const part = round && w.repo.participation(round.id, member.id);
      if (round?.status !== 'closed' || part?.release !== null) return { cancel: 'decided' };
      // "Your partner" must still be the partner the answers were written for.
      if (w.repo.couple(round.coupleId)?.status !== 'active') return { cancel: 'pairing-ended' };
      return msg([para(copy.update), para(copy.deadline.releaseAsk)], {
        buttons: [
          [
            { label: copy.deadline.releaseButton, token: t.mint(member.id, 'rel', round.id, 'y') },
            { label: copy.deadline.keepButton, token: t.mint(member.id, 'rel', round.id, 'n') },
          ],
        ],
      });
    }
    case 'round-closed': {
      const couple = round ? w.repo.couple(round.coupleId) : undefined;
      const next = couple?.status === 'active' ? nextCheckinText(w, couple, member) : null;
      const submitted = round && w.repo.participation(round.id, member.id)?.submittedAt != null;
      if (submitted && couple?.kind === 'pair')
        return msg([para(copy.update), para(copy.deadline.closedKept)]);
      return msg([para(copy.update), para(copy.deadline.closedForYou(next))]);
    }
    case 'paired': {
      const couple = w.repo.activeCoupleOf(member.id);
      if (couple?.kind !== 'pair') return { cancel: 'not-paired' };
      return msg([para(copy.update), para(copy.pairing.connected(nextCheckinText(w, couple, member)))]);
    }
    case 'schedule-changed': {
      const couple = w.repo.activeCoupleOf(member.id);
      if (!couple) return { cancel: 'not-paired' };
      return msg([
        para(copy.update),
        para(copy.schedule.partnerChanged(copy.status.next(nextCheckinText(w, couple, member)))),
      ]);
    }
    case 'template-changed': {
      const couple = w.repo.activeCoupleOf(member.id);
      if (!couple) return { cancel: 'not-paired' };
      return msg([para(copy.update), para(copy.template.partnerChanged(TEMPLATES[couple.template].name))]);
    }
    case 'pairing-ended':
      return msg([para(copy.update), para(copy.pairing.ended)]);
    case 'paused':
      return msg([para(copy.update), para(copy.pause.partnerPaused)]);
    case 'resumed':
      return msg([para(copy.update), para(copy.pause.partnerResumed)]);
    default:
      return { cancel: 'unknown-kind' };
  }
}

function zoneOf(member: MemberRow): string {
  return member.timeZone ?? 'UTC';
}
