/** The model registry: versioned trained models under `<home>/models`. */
export {
  METADATA_FILE,
  MODEL_FILE,
  ModelRegistry,
  sha256,
  type LoadedModel,
  type ModelFilter,
  type ModelListing,
  type ModelMetadata,
  type ModelParamValue,
  type NewModel,
} from './registry.js';
