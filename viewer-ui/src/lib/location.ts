/** What the page was opened for, from its URL. */
export interface PagePlace {
  /** The viewer link's code (`/watch/<code>`), or null on a malformed URL. */
  code: string | null;
  /** Opened as `/embed/watch/<code>`: no outer chrome, fits an iframe. */
  embed: boolean;
  /** `?view=player` or `?view=chat` in embeds; `full` otherwise. */
  view: 'full' | 'player' | 'chat';
  /** `?name=`: join without asking. */
  name: string | null;
}

export function parsePlace(url: URL): PagePlace {
  const match = /^\/(embed\/)?watch\/([^/]+)\/?$/.exec(url.pathname);
  const embed = match?.[1] !== undefined;
  const view = url.searchParams.get('view');
  const name = url.searchParams.get('name')?.trim();
  return {
    code: match?.[2] ? decodeURIComponent(match[2]) : null,
    embed,
    view: embed && (view === 'player' || view === 'chat') ? view : 'full',
    name: name ? name.slice(0, 40) : null,
  };
}
