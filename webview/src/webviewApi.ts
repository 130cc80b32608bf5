/** The part of the saved state every view shares: the ids of the sections the user collapsed (sections.ts). */
export interface SectionsState {
  collapsed?: string[];
}

/**
 * The VS Code API as one view uses it: `ToHost` is what the view posts to the host, `State` what
 * survives the panel being hidden (VS Code drops the page and keeps only this).
 */
export interface WebviewApi<ToHost, State extends SectionsState> {
  postMessage(message: ToHost): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): WebviewApi<unknown, SectionsState>;

/** VS Code allows one acquisition per page load, so every part of the page shares this one. */
const acquired = acquireVsCodeApi();

/** The page's VS Code API, typed with the messages and the saved state of the view the page shows. */
export function webviewApi<ToHost, State extends SectionsState>(): WebviewApi<ToHost, State> {
  return acquired as WebviewApi<ToHost, State>;
}
