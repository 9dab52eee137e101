/** Datasets: registry, directory format, splits, synthetic generator and workload import. */
export * from './types.js';
export { BUILTIN_CATALOG, type CatalogEntry, type PublishedFile } from './catalog.js';
export { DatasetRegistry, SYNTHETIC, type DatasetListing, type OpenOptions, type RegisteredDataset } from './registry.js';
export { directoryDataset, inspectDatasetDir, readWorkloadDir, readStatements, createdTables, checkDatasetName, type DatasetManifest } from './format.js';
export { splitByTemplate, groupByTemplate, DEFAULT_SPLIT_SEED, DEFAULT_TRAIN_RATIO, type SplitResult } from './split.js';
export { normalizeStatement, templateOf, templateId, mainVerb, lex, tryLex, type LexedSql } from './sql-normalize.js';
export { syntheticDataset, syntheticDatabaseName, generateSyntheticWorkload, checkSyntheticParams, SYNTHETIC_SCHEMA, DEFAULT_SCALE, DEFAULT_SEED, type SyntheticOptions } from './synthetic/index.js';
export { Random, AliasSampler } from './random.js';
