export {
  checkAddonFreshness,
  currentSourceHash,
  loadNativeAddon,
  packageRoot,
  type LeroEpochReport,
  type LeroMetadata,
  type LeroMetadataInput,
  type LeroTrainResult,
  type MscnColumnMetadata,
  type MscnEpochReport,
  type MscnMetadata,
  type MscnMetadataInput,
  type MscnTrainResult,
  type NativePlanBatch,
  type NativeRelSetBatch,
} from './addon.js';
export {
  DEFAULT_MSCN_OPERATORS,
  MscnModel,
  RelSetEncoder,
  encodeLiteral,
  type MscnTrainOptions,
  type RelSetPredicate,
  type RelSetSpec,
  type SqlLiteral,
} from './mscn.js';
export { DEFAULT_LERO_NODE_TYPES, LeroModel, PlanEncoder, type LeroTrainOptions } from './lero.js';
