/**
 * Lero plan ranking model: typed wrapper over the native LeroModel, and the conversion of
 * engine-neutral plan trees (PlanNode) into the flat binary preorder form the core featurizes.
 */
import type { PlanNode } from '../engine/types.js';
import {
  callNative,
  loadNativeAddon,
  withCancel,
  type LeroEpochReport,
  type LeroMetadata,
  type LeroMetadataInput,
  type LeroNativeTrainOptions,
  type LeroTrainResult,
  type NativeLeroModel,
  type NativePlanBatch,
} from './addon.js';

/**
 * Node types with their own feature slot: upstream's 14 PostgreSQL operators, the parallel,
 * set and CTE operators upstream crashed on, and Spark's physical operators. Anything else is
 * featurized as "unknown".
 */
export const DEFAULT_LERO_NODE_TYPES: readonly string[] = [
  'Hash', 'Materialize', 'Sort', 'Aggregate', 'Incremental Sort', 'Limit', 'Seq Scan', 'Index Scan',
  'Index Only Scan', 'Bitmap Heap Scan', 'Nested Loop', 'Hash Join', 'Merge Join', 'Bitmap Index Scan',
  'Gather', 'Gather Merge', 'Append', 'Merge Append', 'Memoize', 'Result', 'Unique', 'WindowAgg',
  'Subquery Scan', 'CTE Scan', 'SetOp', 'Group', 'BitmapAnd', 'BitmapOr',
  'BroadcastHashJoin', 'SortMergeJoin', 'ShuffledHashJoin', 'BroadcastNestedLoopJoin', 'FileScan',
  'Project', 'Filter', 'Exchange', 'HashAggregate', 'SortAggregate',
];

export interface LeroTrainOptions extends LeroNativeTrainOptions {
  onEpoch?: (report: LeroEpochReport) => void;
  signal?: AbortSignal;
}

interface FlatNode {
  nodeType: string;
  relationName?: string;
  rows: number;
  width: number;
  children: FlatNode[];
}

/** n-ary nodes become a right spine of synthetic nodes of the same type (binary trees). */
function binarize(node: PlanNode): FlatNode {
  const children = node.children.map(binarize);
  const make = (kids: FlatNode[], own: boolean): FlatNode => {
    if (kids.length <= 2) return { nodeType: node.nodeType, ...(own && node.relationName ? { relationName: node.relationName } : {}), rows: node.rows, width: node.width, children: kids };
    return {
      nodeType: node.nodeType,
      ...(own && node.relationName ? { relationName: node.relationName } : {}),
      rows: node.rows,
      width: node.width,
      children: [kids[0]!, make(kids.slice(1), false)],
    };
  };
  return make(children, true);
}

/** Converts plan trees into the native batch (unknown node types and tables become -1). */
export class PlanEncoder {
  private readonly types: Map<string, number>;
  private readonly tables: Map<string, number>;

  constructor(meta: Pick<LeroMetadata, 'nodeTypes' | 'tables'>) {
    this.types = new Map(meta.nodeTypes.map((t, i) => [t, i]));
    this.tables = new Map(meta.tables.map((t, i) => [t, i]));
  }

  encode(plans: readonly PlanNode[]): NativePlanBatch {
    const treeOffsets = new Int32Array(plans.length + 1);
    const nodeTypes: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const widths: number[] = [];
    const rows: number[] = [];
    const nodeTableOffsets: number[] = [0];
    const nodeTableIds: number[] = [];
    plans.forEach((plan, p) => {
      const base = nodeTypes.length;
      // Iterative preorder: push right then left so left is emitted first.
      const stack: Array<{ node: FlatNode; parent: number; side: 'left' | 'right' | 'root' }> = [
        { node: binarize(plan), parent: -1, side: 'root' },
      ];
      while (stack.length > 0) {
        const { node, parent, side } = stack.pop()!;
        const index = nodeTypes.length - base;
        if (side === 'left') left[base + parent] = index;
        if (side === 'right') right[base + parent] = index;
        nodeTypes.push(this.types.get(node.nodeType) ?? -1);
        left.push(-1);
        right.push(-1);
        widths.push(node.width);
        rows.push(node.rows);
        if (node.relationName !== undefined) nodeTableIds.push(this.tables.get(node.relationName) ?? -1);
        nodeTableOffsets.push(nodeTableIds.length);
        const [l, r] = node.children;
        if (r) stack.push({ node: r, parent: index, side: 'right' });
        if (l) stack.push({ node: l, parent: index, side: 'left' });
      }
      treeOffsets[p + 1] = nodeTypes.length;
    });
    return {
      treeOffsets,
      nodeTypes: Int32Array.from(nodeTypes),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      widths: Float64Array.from(widths),
      rows: Float64Array.from(rows),
      nodeTableOffsets: Int32Array.from(nodeTableOffsets),
      nodeTableIds: Int32Array.from(nodeTableIds),
    };
  }
}

export class LeroModel {
  private encoder?: PlanEncoder;

  private constructor(private readonly native: NativeLeroModel) {}

  static create(metadata: Partial<LeroMetadataInput> & Pick<LeroMetadataInput, 'tables'>): LeroModel {
    const addon = loadNativeAddon();
    const full: LeroMetadataInput = { nodeTypes: [...DEFAULT_LERO_NODE_TYPES], ...metadata };
    return new LeroModel(callNative('cannot create the Lero model', () => new addon.LeroModel(full)));
  }

  static load(path: string): LeroModel {
    const addon = loadNativeAddon();
    return new LeroModel(callNative(`cannot load the Lero model from ${path}`, () => addon.LeroModel.load(path)));
  }

  static fromBuffer(buffer: Uint8Array): LeroModel {
    const addon = loadNativeAddon();
    return new LeroModel(callNative('cannot read the Lero model', () => addon.LeroModel.fromBuffer(buffer)));
  }

  metadata(): LeroMetadata {
    return this.native.metadata();
  }

  get training(): boolean {
    return this.native.training;
  }

  encode(plans: readonly PlanNode[]): NativePlanBatch {
    this.encoder ??= new PlanEncoder(this.native.metadata());
    return this.encoder.encode(plans);
  }

  /** One score per plan, lower is better; independent of the other plans in the batch. */
  score(plans: NativePlanBatch): Float64Array {
    return callNative('Lero score', () => this.native.score(plans));
  }

  scorePlans(plans: readonly PlanNode[]): Float64Array {
    return this.score(this.encode(plans));
  }

  /**
   * Pairwise training on a worker thread: plans with the same group id (the same query) are
   * compared by latency. Rejects with INTERRUPTED when `signal` aborts (model unchanged).
   */
  train(plans: NativePlanBatch, groups: Int32Array, latencies: Float64Array, options: LeroTrainOptions = {}): Promise<LeroTrainResult> {
    const { onEpoch, signal, ...native } = options;
    return withCancel(signal, 'Lero training', (token) => this.native.train(plans, groups, latencies, native, onEpoch, token));
  }

  save(path: string): void {
    callNative(`cannot save the Lero model to ${path}`, () => this.native.save(path));
  }

  toBuffer(): Buffer {
    return callNative('cannot serialize the Lero model', () => this.native.toBuffer());
  }
}
