/** A profile as the caller sees it, kept fresh by invitation events (Connect → Pending → Message). */
import { api } from '../api';
import { usePollWhileOffline, useStreamEvents } from '../stream';
import { rememberName } from './useMemberNames';
import { useAsync } from './useAsync';

export function useProfile(handle: string) {
  const [state, reload, update] = useAsync(
    async (signal) => {
      const p = await api.profile(handle, signal);
      rememberName(p.member.handle, p.member.name);
      return p;
    },
    [handle],
  );
  // an invitation accepted or received elsewhere changes the buttons: Pending → Message, Connect → Accept
  useStreamEvents((e) => {
    if (e.type === 'invitation.accepted' || e.type === 'invitation.received') reload();
  });
  usePollWhileOffline(reload, 15_000);
  return { state, reload, update };
}
