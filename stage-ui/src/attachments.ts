import type { Attachment } from 'svelte/attachments';

/** Shows a MediaStream in a media element; a new stream re-runs the attachment. */
export function mediaStream(stream: MediaStream | null): Attachment<HTMLMediaElement> {
  return (element) => {
    if (element.srcObject !== stream) element.srcObject = stream;
    // Autoplay of remote audio can still be refused on some browsers; the tile stays visible.
    if (stream) void element.play().catch(() => undefined);
  };
}

/** Opens a `<dialog>` as a modal (focus trapped, Escape handled by `oncancel`) while mounted. */
export const modal: Attachment<HTMLDialogElement> = (dialog) => {
  if (!dialog.open) dialog.showModal();
  return () => {
    if (dialog.open) dialog.close();
  };
};
