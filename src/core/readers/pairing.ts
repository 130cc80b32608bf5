/** Telling image from text by name, and finding the other half of a one-modality file. */
import { statSync } from 'node:fs';
import * as path from 'node:path';

export type Modality = 'image' | 'text';

const words: Record<Modality, RegExp> = { image: /image|img/gi, text: /text|txt/gi };
const partners: Record<Modality, string[]> = { image: ['text', 'txt'], text: ['image', 'img'] };

/** The modality a name speaks of, when it speaks of exactly one. */
export function modalityOf(name: string): Modality | undefined {
  const base = path.basename(name);
  const image = /image|img/i.test(base);
  const text = /text|txt/i.test(base);
  return image === text ? undefined : image ? 'image' : 'text';
}

/** The replacement spelled in the case of the word it replaces (IMG -> TXT, Image -> Text). */
function inCaseOf(original: string, word: string): string {
  if (original === original.toUpperCase()) return word.toUpperCase();
  if (original[0] === original[0].toUpperCase()) return word[0].toUpperCase() + word.slice(1);
  return word;
}

/**
 * For foo_image.npy, an existing foo_text.npy or foo_txt.npy beside it (and the reverse): the file
 * name with its modality word swapped, same folder and extension.
 */
export function findPairFile(file: string): string | undefined {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const modality = modalityOf(base);
  if (!modality) return undefined;
  // Where the word occurs twice, the last one is more likely the modality (embeds_of_img_set_img).
  const hits = [...base.matchAll(words[modality])].reverse();
  for (const hit of hits) {
    for (const partner of partners[modality]) {
      const candidate = base.slice(0, hit.index) + inCaseOf(hit[0], partner) + base.slice(hit.index + hit[0].length);
      const full = path.join(dir, candidate);
      if (isFile(full)) return full;
    }
  }
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
