// Row-major storage of unit vectors plus "score every row against one query". The WebAssembly SIMD
// kernel (dot-product.wat) does four f32x4 multiply-adds per step and is roughly 6-8x faster than the
// best plain-JS loop, which is what lets exact search stay within the `vector.memory` targets at
// 100k chunks; the JS loop is the fallback on runtimes without WebAssembly SIMD.
import { DOT_PRODUCT_WASM } from "./dot-product-wasm.js";

const PAGE = 65_536;
const FLOATS_PER_STEP = 16;
// The int8 kernel sums int8 x int16 products in int32: 127 * 1023 * 8192 stays below 2^31.
const QUERY_LEVELS = 1023;
const MAX_QUANTIZED_DIMENSIONS = 8192;

type Kernel = (query: number, rows: number, count: number, stride: number, out: number) => void;

export interface Matrix {
  readonly dimensions: number;
  /** Floats per row: `dimensions` rounded up to a multiple of 16 (the padding stays zero). */
  readonly stride: number;
  readonly capacity: number;
  readonly kernel: "wasm-simd" | "js";
  /** True when `boundedScores` is a cheaper int8 pass (false: it is the exact scan, error 0). */
  readonly quantized: boolean;
  ensureCapacity(rows: number): void;
  /** Row `row` as a view of `dimensions` floats (invalidated by the next `ensureCapacity`). */
  row(row: number): Float32Array;
  /** Stores a unit vector in `row`. */
  setRow(row: number, unit: Float32Array): void;
  copyRow(from: number, to: number): void;
  /** Dot products of `query` (length `dimensions`) with rows 0..count-1; a view valid until the next call. */
  scores(query: Float32Array, count: number): Float32Array;
  /**
   * Int8 dot products, a quarter of the memory traffic of `scores`, each with a proven bound on its
   * error: |exact - approximate[row]| <= error[row]. Views valid until the next call.
   */
  boundedScores(query: Float32Array, count: number): { approximate: Float32Array; error: Float32Array };
}

// The few WebAssembly APIs used here, typed locally: the shared tsconfig has no DOM/WebAssembly lib.
interface WasmModule {
  readonly kind?: "module";
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
}
const webAssembly = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;

function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const bytes = Buffer.from(DOT_PRODUCT_WASM, "base64");
      compiled = webAssembly?.validate(bytes) ? new webAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export function createMatrix(dimensions: number, options: { kernel?: "wasm-simd" | "js" } = {}): Matrix {
  const module = options.kernel === "js" ? null : simdModule();
  return module ? new WasmMatrix(dimensions, module) : new JsMatrix(dimensions);
}

class WasmMatrix implements Matrix {
  readonly kernel = "wasm-simd" as const;
  readonly stride: number;
  capacity = 0;
  private readonly strideBytes: number;
  private readonly memory: WasmMemory;
  private readonly runFloat: Kernel;
  private readonly runInt8: Kernel;
  private heap: Float32Array;
  private bytes: Int8Array;
  private words: Int16Array;
  private integers: Int32Array;
  private rowScales = new Float32Array(0);
  /** L1 norm of each stored (unit) row, for the error bound. */
  private rowL1 = new Float32Array(0);
  private approximate = new Float32Array(0);
  private error = new Float32Array(0);
  // Byte offsets. Fixed: the f32 query at 0, the i16 query after it, then the f32 rows. Moved on
  // growth: the int8 rows (after the f32 rows) and the score buffer (after the int8 rows).
  private readonly queryWordsOffset: number;
  private readonly rowsOffset: number;
  private int8Offset: number;
  private scoresOffset: number;

  constructor(
    readonly dimensions: number,
    module: WasmModule,
  ) {
    this.stride = Math.ceil(dimensions / FLOATS_PER_STEP) * FLOATS_PER_STEP;
    this.strideBytes = this.stride * 4;
    const instance = new (webAssembly as WasmApi).Instance(module, {});
    this.memory = instance.exports.memory as WasmMemory;
    this.runFloat = instance.exports.scores as Kernel;
    this.runInt8 = instance.exports.scoresInt8 as Kernel;
    this.queryWordsOffset = this.strideBytes;
    this.rowsOffset = this.queryWordsOffset + this.stride * 2;
    this.int8Offset = this.rowsOffset;
    this.scoresOffset = this.rowsOffset;
    this.ensureMemory(this.rowsOffset);
    this.heap = new Float32Array(this.memory.buffer);
    this.bytes = new Int8Array(this.memory.buffer);
    this.words = new Int16Array(this.memory.buffer);
    this.integers = new Int32Array(this.memory.buffer);
  }

  get quantized(): boolean {
    return this.dimensions <= MAX_QUANTIZED_DIMENSIONS;
  }

  ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const old = this.capacity;
    const int8Offset = this.rowsOffset + rows * this.strideBytes;
    const scoresOffset = int8Offset + rows * this.stride;
    this.ensureMemory(scoresOffset + rows * 4);
    this.refreshViews();
    // Move the int8 rows up (copyWithin handles the overlap), then zero everything new so the
    // padding of fresh rows reads as 0.
    this.bytes.copyWithin(int8Offset, this.int8Offset, this.int8Offset + old * this.stride);
    this.bytes.fill(0, this.rowsOffset + old * this.strideBytes, int8Offset);
    this.bytes.fill(0, int8Offset + old * this.stride, scoresOffset + rows * 4);
    this.int8Offset = int8Offset;
    this.scoresOffset = scoresOffset;
    const scales = new Float32Array(rows);
    scales.set(this.rowScales);
    this.rowScales = scales;
    const norms = new Float32Array(rows);
    norms.set(this.rowL1);
    this.rowL1 = norms;
    this.approximate = new Float32Array(rows);
    this.error = new Float32Array(rows);
    this.capacity = rows;
  }

  row(row: number): Float32Array {
    const start = (this.rowsOffset + row * this.strideBytes) / 4;
    return this.heap.subarray(start, start + this.dimensions);
  }

  setRow(row: number, unit: Float32Array): void {
    const start = (this.rowsOffset + row * this.strideBytes) / 4;
    let largest = 0;
    let l1 = 0;
    for (let index = 0; index < this.dimensions; index++) {
      const value = unit[index] as number;
      this.heap[start + index] = value;
      largest = Math.max(largest, Math.abs(value));
      l1 += Math.abs(value);
    }
    this.rowL1[row] = l1;
    // Symmetric int8 quantisation with a per-row scale: each component is off by at most scale / 2.
    const scale = largest > 0 ? largest / 127 : 1;
    const int8Start = this.int8Offset + row * this.stride;
    for (let index = 0; index < this.dimensions; index++) {
      this.bytes[int8Start + index] = Math.round((unit[index] as number) / scale);
    }
    this.rowScales[row] = scale;
  }

  copyRow(from: number, to: number): void {
    const source = (this.rowsOffset + from * this.strideBytes) / 4;
    this.heap.copyWithin((this.rowsOffset + to * this.strideBytes) / 4, source, source + this.stride);
    const int8Source = this.int8Offset + from * this.stride;
    this.bytes.copyWithin(this.int8Offset + to * this.stride, int8Source, int8Source + this.stride);
    this.rowScales[to] = this.rowScales[from] as number;
    this.rowL1[to] = this.rowL1[from] as number;
  }

  scores(query: Float32Array, count: number): Float32Array {
    this.heap.set(query, 0);
    this.heap.fill(0, query.length, this.stride);
    this.runFloat(0, this.rowsOffset, count, this.strideBytes, this.scoresOffset);
    return this.heap.subarray(this.scoresOffset / 4, this.scoresOffset / 4 + count);
  }

  boundedScores(query: Float32Array, count: number): { approximate: Float32Array; error: Float32Array } {
    let largest = 0;
    let queryL1 = 0;
    for (let index = 0; index < this.dimensions; index++) {
      const value = Math.abs(query[index] as number);
      largest = Math.max(largest, value);
      queryL1 += value;
    }
    const queryScale = largest > 0 ? largest / QUERY_LEVELS : 1;
    const wordsStart = this.queryWordsOffset / 2;
    for (let index = 0; index < this.stride; index++) {
      this.words[wordsStart + index] =
        index < this.dimensions ? Math.round((query[index] as number) / queryScale) : 0;
    }
    this.runInt8(this.queryWordsOffset, this.int8Offset, count, this.stride, this.scoresOffset);
    const integers = this.integers;
    const scales = this.rowScales;
    const norms = this.rowL1;
    const approximate = this.approximate;
    const error = this.error;
    const first = this.scoresOffset / 4;
    // With x the row, y the query and s their quantisation steps (each component off by <= s / 2):
    // |x.y - x'.y'| <= (s_y / 2)|x|_1 + (s_x / 2)|y|_1 + d * s_x * s_y / 4. The small constant covers
    // float32 rounding of the stored scales and of the exact re-score.
    const queryHalfStep = queryScale / 2;
    const crossTerm = (this.dimensions * queryScale) / 4;
    for (let row = 0; row < count; row++) {
      const scale = scales[row] as number;
      approximate[row] = (integers[first + row] as number) * scale * queryScale;
      error[row] = queryHalfStep * (norms[row] as number) + (scale / 2) * queryL1 + crossTerm * scale + 1e-5;
    }
    return { approximate: approximate.subarray(0, count), error: error.subarray(0, count) };
  }

  private ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
      this.refreshViews();
    }
  }

  private refreshViews(): void {
    this.heap = new Float32Array(this.memory.buffer);
    this.bytes = new Int8Array(this.memory.buffer);
    this.words = new Int16Array(this.memory.buffer);
    this.integers = new Int32Array(this.memory.buffer);
  }
}

class JsMatrix implements Matrix {
  readonly kernel = "js" as const;
  readonly quantized = false;
  readonly stride: number;
  capacity = 0;
  private data = new Float32Array(0);
  private buffer = new Float32Array(0);

  constructor(readonly dimensions: number) {
    this.stride = dimensions;
  }

  ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const data = new Float32Array(rows * this.stride);
    data.set(this.data);
    this.data = data;
    this.buffer = new Float32Array(rows);
    this.capacity = rows;
  }

  row(row: number): Float32Array {
    return this.data.subarray(row * this.stride, row * this.stride + this.dimensions);
  }

  setRow(row: number, unit: Float32Array): void {
    const start = row * this.stride;
    for (let index = 0; index < this.dimensions; index++) this.data[start + index] = unit[index] as number;
  }

  boundedScores(query: Float32Array, count: number): { approximate: Float32Array; error: Float32Array } {
    return { approximate: this.scores(query, count), error: new Float32Array(count) };
  }

  copyRow(from: number, to: number): void {
    this.data.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
  }

  scores(query: Float32Array, count: number): Float32Array {
    const data = this.data;
    const dimensions = this.dimensions;
    const out = this.buffer;
    const unrolled = dimensions - (dimensions % 4);
    for (let row = 0; row < count; row++) {
      const base = row * dimensions;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let index = 0;
      for (; index < unrolled; index += 4) {
        s0 += (data[base + index] as number) * (query[index] as number);
        s1 += (data[base + index + 1] as number) * (query[index + 1] as number);
        s2 += (data[base + index + 2] as number) * (query[index + 2] as number);
        s3 += (data[base + index + 3] as number) * (query[index + 3] as number);
      }
      for (; index < dimensions; index++) s0 += (data[base + index] as number) * (query[index] as number);
      out[row] = s0 + s1 + s2 + s3;
    }
    return out.subarray(0, count);
  }
}
