/** Decoded array: floats of any width arrive as float32, integers of any width as int32. */
export interface NamedArray {
  shape: number[];
  /** The dtype as stored in the file (numpy names: 'float16', 'int64', ...), before widening or narrowing. */
  dtype: string;
  data: Float32Array | Int32Array;
}

/** Array name -> array. A Map, since names come from files and may be '__proto__'. */
export type NamedArrays = Map<string, NamedArray>;

export interface ArrayInfo {
  name: string;
  shape: number[];
  dtype: string;
}

/** What a file holds, from its headers only. */
export interface FileContents {
  format: 'npy' | 'npz' | 'safetensors' | 'pt' | 'parquet' | 'arrow' | 'clip-retrieval' | 'folder';
  sizeBytes: number;
  arrays: ArrayInfo[];
  /** safetensors `__metadata__`. */
  metadata?: Record<string, string>;
}

/** One array of an opened file: its header now, its data on demand (while the file is open). */
export interface ArraySource {
  info: ArrayInfo;
  load(): Promise<NamedArray>;
  /** A string array's elements (present for numpy U/S arrays only), e.g. the captions of the texts. */
  loadStrings?(): Promise<string[]>;
}

export interface OpenedArrays {
  format: FileContents['format'];
  arrays: ArraySource[];
  metadata?: Record<string, string>;
  /** What loading the arrays found that the user should hear (a table's null rows), filled in as they load. */
  notes?: string[];
}
