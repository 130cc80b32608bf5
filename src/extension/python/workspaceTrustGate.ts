/**
 * The torch engine runs a Python interpreter the workspace can choose (its .venv, through the
 * Python extension) and, for a factory model, the workspace's own code: in an untrusted workspace it
 * does not run. No vscode import, so the rule is unit tested.
 */
import type { TrainConfig } from '../../core/train/config';

export const untrustedTorchReason =
  'the torch engine runs Python code chosen by this workspace, which is not trusted: trust it (Manage Workspace Trust) to run it';

/** Why `config` may not run here, in one line, or undefined when it may. */
export function trainingBlockedReason(config: Pick<TrainConfig, 'engine'>, trusted: boolean): string | undefined {
  return config.engine === 'torch' && !trusted ? untrustedTorchReason : undefined;
}

/** Why Embed Dataset (always the torch engine) may not run here, or undefined. */
export function embeddingBlockedReason(trusted: boolean): string | undefined {
  return trusted ? undefined : untrustedTorchReason;
}
