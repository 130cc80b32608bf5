/** Collapsible page sections: a disclosure button in each heading, remembered in the view state. */
import { el } from './dom';
import { webviewApi, type SectionsState } from './webviewApi';

/** Sections post nothing; they only keep their collapsed ids in the view's saved state. */
const api = webviewApi<never, SectionsState>();

export interface CollapsibleSection {
  section: HTMLElement;
  /** Where the section's content goes. */
  body: HTMLElement;
}

/**
 * A section whose heading button (aria-expanded, aria-controls) shows and hides its body. `title`
 * may be a live element (the zero-shot heading changes with the file); `controls` sit beside the
 * heading and stay visible when collapsed. `onExpand` lets charts inside measure themselves again.
 */
export function collapsibleSection(
  id: string,
  title: string | HTMLElement,
  { controls = [], onExpand }: { controls?: Node[]; onExpand?: () => void } = {},
): CollapsibleSection {
  const body = el('div', { id: `${id}-body`, class: 'section-body' });
  const toggle = el(
    'button',
    { type: 'button', class: 'disclosure', id: `${id}-toggle`, 'aria-controls': body.id },
    el('span', { class: 'codicon codicon-chevron-down', 'aria-hidden': 'true' }),
    title,
  );
  const set = (expanded: boolean) => {
    toggle.setAttribute('aria-expanded', String(expanded));
    body.hidden = !expanded;
  };
  set(!(api.getState()?.collapsed ?? []).includes(id));
  toggle.addEventListener('click', () => {
    const expand = body.hidden;
    set(expand);
    const others = (api.getState()?.collapsed ?? []).filter((c) => c !== id);
    // Merged into the view's state, whose other keys (the snapshot) belong to the view.
    api.setState({ ...api.getState(), collapsed: expand ? others : [...others, id] });
    if (expand) onExpand?.();
  });
  const section = el(
    'section',
    { id, class: 'collapsible' },
    el('div', { class: 'section-head' }, el('h2', {}, toggle), ...controls),
    body,
  );
  return { section, body };
}
