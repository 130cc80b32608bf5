import * as vscode from 'vscode';
import { probeTorch, type PythonCandidate, type TorchProbe } from '../../core/torch/python';
import { Disposable } from '../disposable';
import { findPython, pythonEnvironmentsApi, pythonExtensionId, torchSummary, type PythonExtensionHandle } from './pythonDiscovery';
import { untrustedTorchReason } from './workspaceTrustGate';

export interface TorchEnvironmentReport {
  candidate: PythonCandidate;
  probe: TorchProbe;
  /** One line: interpreter, torch and devices, or why the engine is unavailable and the fix. */
  summary: string;
}

const pythonSetting = 'embeddingLens.pythonPath';

/**
 * The torch engine's interpreter as this window sees it. The probe (`python -m embedding_lens info`)
 * is a child process, never awaited on the host's critical path; a successful one is kept per
 * interpreter until the setting, the Python extension's selection or the trust changes, a failed
 * one is not kept (the user may be installing torch right now).
 */
export class TorchEnvironment extends Disposable {
  private readonly probes = new Map<string, Promise<TorchProbe>>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  private readonly reported = this.register(new vscode.EventEmitter<TorchEnvironmentReport>());
  /** The interpreter may have changed: reports taken before are stale. */
  readonly onDidChange = this.changed.event;
  /** A report was taken (by any command or run) and nothing changed since it began. */
  readonly onDidReport = this.reported.event;
  /** Counts changes, so a report overtaken by one is not announced. */
  private generation = 0;
  private watchingPythonExtension = false;

  constructor(private readonly log: vscode.OutputChannel) {
    super();
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(pythonSetting)) this.reset();
      }),
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.reset()));
    // The Python extension installed, removed or updated while the window is open.
    this.register(vscode.extensions.onDidChange(() => this.reset()));
  }

  private reset(): void {
    this.generation++;
    this.probes.clear();
    this.changed.fire();
  }

  private pythonExtension(): PythonExtensionHandle | undefined {
    return vscode.extensions.getExtension(pythonExtensionId);
  }

  /** Re-probes when the Python extension's selection changes; subscribed once that extension is in use. */
  private async watchPythonExtension(): Promise<void> {
    if (this.watchingPythonExtension) return;
    const api = await pythonEnvironmentsApi(this.pythonExtension());
    if (!api?.onDidChangeActiveEnvironmentPath || this.watchingPythonExtension || this.isDisposed) return;
    this.watchingPythonExtension = true;
    try {
      const subscription = api.onDidChangeActiveEnvironmentPath(() => this.reset());
      this.register({ dispose: () => void subscription.dispose() });
    } catch {
      // An API without the event: the selection is still read afresh before every run.
    }
  }

  /** The interpreter for `resource` (a config or data file; the Python extension selects per folder). */
  async python(resource?: vscode.Uri): Promise<PythonCandidate> {
    const folder = resource ? vscode.workspace.getWorkspaceFolder(resource) : vscode.workspace.workspaceFolders?.[0];
    const setting = vscode.workspace.getConfiguration('embeddingLens', folder?.uri).get<string>('pythonPath', '');
    if (!setting.trim()) void this.watchPythonExtension();
    return findPython({ setting, pythonExtension: this.pythonExtension(), resource: folder?.uri });
  }

  /** What the torch engine would run with for `resource`; never runs anything in an untrusted workspace. */
  async report(resource?: vscode.Uri): Promise<TorchEnvironmentReport> {
    const generation = this.generation;
    const candidate = await this.python(resource);
    const report: TorchEnvironmentReport = vscode.workspace.isTrusted
      ? await this.probe(candidate.python).then((probe) => ({ candidate, probe, summary: torchSummary(probe, candidate.source) }))
      : { candidate, probe: { ok: false, python: candidate.python, reason: untrustedTorchReason }, summary: `torch engine not run: ${untrustedTorchReason}` };
    if (generation === this.generation) this.reported.fire(report);
    return report;
  }

  private probe(python: string): Promise<TorchProbe> {
    let probe = this.probes.get(python);
    if (!probe) {
      probe = probeTorch(python).then((p) => {
        if (!p.ok && this.probes.get(python) === probe) this.probes.delete(python);
        this.log.appendLine(`torch engine: ${p.ok ? `torch ${p.info.torch} in ${p.info.executable}` : p.reason}`);
        return p;
      });
      this.probes.set(python, probe);
    }
    return probe;
  }
}
