/**
 * A stand-in for the `vscode` module, so extension code that needs the host only for a few calls
 * runs under node:test. Install it before the first import of an extension module (a test file runs
 * in its own process, so the hook reaches no other test). What a test does not set is an inert
 * stub: callable, constructible, every member another stub, and not a thenable.
 */
import Module from 'node:module';

type Loader = (request: string, ...rest: unknown[]) => unknown;

const stub: unknown = new Proxy(function () {}, {
  get: (_target, key) => (key === 'then' || key === Symbol.toPrimitive || key === '__esModule' ? undefined : stub),
  apply: () => stub,
  construct: () => stub as object,
});

export class FakeEventEmitter<T> {
  private readonly listeners = new Set<(e: T) => unknown>();
  readonly event = (listener: (e: T) => unknown) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

/** `overrides` replace the stub at their paths (one level of namespaces: `window`, `workspace`, ...). */
export function installFakeVscode(overrides: Record<string, unknown>): void {
  const fake = new Proxy(
    // __esModule: TypeScript's import * then takes the proxy itself, not a copy of the keys set here.
    { __esModule: true, EventEmitter: FakeEventEmitter, ...overrides },
    {
      get: (target, key) => {
        const own = (target as Record<string | symbol, unknown>)[key];
        if (own === undefined) return key === 'then' ? undefined : stub;
        if (typeof own !== 'object' || own === null || Array.isArray(own)) return own;
        // A namespace: the members a test set, a stub for the rest.
        return new Proxy(own, {
          get: (ns, k) => (ns as Record<string | symbol, unknown>)[k] ?? (k === 'then' ? undefined : stub),
        });
      },
    },
  );
  const mod = Module as unknown as { _load: Loader };
  const load = mod._load;
  mod._load = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'vscode' ? fake : load.call(this, request, ...rest);
  };
}
