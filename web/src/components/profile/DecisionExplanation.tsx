/** One decision in words: allowed (and how), or denied with the ways forward (free ways first). */
import { forwardRef } from 'react';
import type { Decision } from '../../api';
import { useSession } from '../../session';
import { allowedMessageText, formatDate, plural, reasonText } from '../../text';
import { Unlocks, type UnlockContext } from '../Unlocks';

export const DecisionExplanation = forwardRef<
  HTMLDivElement,
  {
    decision: Decision;
    inmail?: Decision;
    /** InMail is shown only when the member has the credits and no free channel applies */
    inmailOffered?: boolean;
    name: string;
    handle: string;
    testId: string;
    context: UnlockContext;
    onConnect?: () => void;
    onIntroduction?: (via: string) => void;
    id?: string;
    highlight?: boolean;
  }
>(function DecisionExplanation({ decision, inmailOffered = false, name, handle, testId, context, onConnect, onIntroduction, id, highlight }, ref) {
  const { policy } = useSession();
  let text: string;
  if (decision.allowed) {
    text = context === 'message' ? allowedMessageText(decision, name) : reasonText(decision.reason, policy);
  } else {
    text = reasonText(decision.reason, policy);
  }
  const wait = decision.unlock.find((u) => u.kind === 'wait');
  if (!decision.allowed && context === 'connect' && wait && wait.kind === 'wait') {
    text += ` You can invite again on ${formatDate(wait.until)}.`;
  }
  const inmailUnlock = decision.unlock.find((u) => u.kind === 'inmail');
  return (
    <div
      ref={ref}
      id={id}
      tabIndex={ref ? -1 : undefined}
      className={`decision ${decision.allowed ? 'decision-allowed' : 'decision-denied'} ${highlight ? 'decision-highlight' : ''}`}
      data-testid={testId}
      data-allowed={String(decision.allowed)}
      data-reason={decision.reason}
    >
      <p>{text}</p>
      {!decision.allowed && context === 'message' && inmailOffered && inmailUnlock && inmailUnlock.kind === 'inmail' && (
        <p className="muted small">No free way applies; you can also spend {plural(inmailUnlock.credits, 'InMail credit')}.</p>
      )}
      {!decision.allowed && (
        <Unlocks
          unlocks={decision.unlock}
          context={context}
          target={handle}
          targetName={name}
          inmailOffered={inmailOffered}
          onConnect={onConnect}
          onIntroduction={onIntroduction}
        />
      )}
    </div>
  );
});
