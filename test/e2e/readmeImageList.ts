/**
 * The README's images of every view, in README order, with their one-line captions. Taken by
 * readmeImages.test.ts into test-results/readme/NAME.png on every end-to-end run; copied into
 * media/readme/ by `npm run readme-images` (scripts/readme-images.mjs), which also checks that
 * README.md shows each one.
 */
export const readmeImages: Record<string, string> = {
  'analysis-panel': 'The analysis panel (Analyze Embeddings) on the sample checkpoint clip-sample.npy',
  'checkpoint-editor':
    'The checkpoint editor (Open With… → Embedding Lens) on clip-sample.safetensors, its metadata folded',
  compare:
    'Compare Checkpoints: the sample against its untrained twin random-init.npy (the charts, under the metrics table)',
  'training-dashboard': 'The training dashboard after a one-epoch m²-Mix run (tfjs heads) on the sample',
  'zero-shot': 'Zero-shot classification of the sample suite classification/zero-shot.suite.json',
  robustness: 'Compare on two suites: the robustness plot, zero-shot.suite.json against fine-tuned.suite.json',
  'checkpoints-tree':
    'The Embedding Checkpoints view in the Explorer: N×D of every file, and R@1 and gap once analysed',
  'compute-backend':
    "Show Compute Backend's notification: the TensorFlow.js backend, its measured GFLOP/s, the torch engine",
};

/** test-results/readme, relative to the checkout. */
export const readmeImagesFolder = ['test-results', 'readme'];
