import { useEffect, type RefObject } from 'react';

/**
 * Closes an open menu or popover on a click outside `ref` or on Escape (focus then returns to the
 * button that opened it).
 */
export function useDismiss(open: boolean, close: () => void, ref: RefObject<HTMLElement | null>, buttonRef: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) close();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        close();
        buttonRef.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open, close, ref, buttonRef]);
}
