/**
 * The published datasets and where upstream PilotScope (alibaba/pilotscope at commit 440393d9)
 * gets them. The small ones (stats_tiny, imdb_tiny) and every workload file live in upstream's
 * repository; the full dumps are tarballs on the ai4db_datasets release page. Checksums are
 * sha256 of the published files: upstream's own for the tarballs, computed from upstream's files
 * for the rest.
 */

export interface PublishedFile {
  url: string;
  sha256: string;
  /** The published file is a gzip'ed tar holding the dump; the dump becomes data.sql. */
  archive?: 'tar.gz';
}

export interface CatalogEntry {
  name: string;
  description: string;
  /** data.sql, train.sql, test.sql as published. */
  files: { 'data.sql': PublishedFile; 'train.sql': PublishedFile; 'test.sql': PublishedFile };
  /** Something users must know about the published data. */
  note?: string;
}

const UPSTREAM_COMMIT = '440393d9bee75e6d33c3c41dd5bb8f15e9cba792';
const REPO_FILE = (p: string) => `https://raw.githubusercontent.com/alibaba/pilotscope/${UPSTREAM_COMMIT}/pilotscope/Dataset/${p}`;
const RELEASE = (p: string) => `https://github.com/weiwch/ai4db_datasets/releases/download/${p}`;

export const BUILTIN_CATALOG: readonly CatalogEntry[] = [
  {
    name: 'stats_tiny',
    description: 'A random sample of the STATS-CEB data (Stack Exchange), timestamps as integers; 1000 training queries',
    files: {
      'data.sql': { url: REPO_FILE('StatsTiny/stats_tiny.sql'), sha256: '2579978ca07d133c91e9a08fd9623e40108e94b277febb5a2d4950aee3136f4b' },
      'train.sql': { url: REPO_FILE('StatsTiny/stats_train_time2int.txt'), sha256: '61b37b09b4e468abdc74421ec538b877146e2efcd32977580700de4693a04795' },
      'test.sql': { url: REPO_FILE('StatsTiny/stats_test_time2int.txt'), sha256: '8705ceeb5c530545514d7cf93e1c23e52fb5f64a2a34fc5eb3e75a45a51fcab8' },
    },
  },
  {
    name: 'imdb_tiny',
    description: 'A random sample of the IMDB data with the JOB workload',
    files: {
      'data.sql': { url: REPO_FILE('Imdb/imdb_tiny.sql'), sha256: 'd9a75aa13cf6980bde6fd3ec7490fce2e148d955afa28122cc42a4511de67d91' },
      'train.sql': { url: REPO_FILE('Imdb/job_train_ascii.txt'), sha256: 'eb2afee8438d6ee4f7dac45007711f1fe52fc8a96515759010dcc5b80fe37bd5' },
      'test.sql': { url: REPO_FILE('Imdb/job_test.txt'), sha256: '0ae28fdd9b77e4ea59260629214a14d9709218ff8bcd6211915611a11ff72afb' },
    },
  },
  {
    name: 'stats',
    description: 'The full STATS-CEB dataset (Han et al., VLDB 2022) with its training and test queries',
    files: {
      'data.sql': { url: RELEASE('stats/postgres_stats.tar.gz'), sha256: '4079854d51034e5aedcaaea6a23ef967ecd0f0cce559781cb825334760a6152a', archive: 'tar.gz' },
      'train.sql': { url: REPO_FILE('Stats/stats_train.txt'), sha256: '35c34aff88ce0277c1defb8392e1c74a71a79bced0df021bb08fd8109ad38b4c' },
      'test.sql': { url: REPO_FILE('Stats/stats_test.txt'), sha256: 'd2210d7e231a113d9cc7cfb24865b39f36500b3109c8b42e60c29fd0b1e4ee8d' },
    },
  },
  {
    name: 'imdb',
    description: 'The full IMDB dataset with the Join Order Benchmark (JOB) queries',
    files: {
      'data.sql': { url: RELEASE('imdb/postgres_imdb.tar.gz'), sha256: '03ff2e51e479fddae0fd4a0a40a51fad78536bde5bba3bdc9f49563be96f9b12', archive: 'tar.gz' },
      'train.sql': { url: REPO_FILE('Imdb/job_train_ascii.txt'), sha256: 'eb2afee8438d6ee4f7dac45007711f1fe52fc8a96515759010dcc5b80fe37bd5' },
      'test.sql': { url: REPO_FILE('Imdb/job_test.txt'), sha256: '0ae28fdd9b77e4ea59260629214a14d9709218ff8bcd6211915611a11ff72afb' },
    },
  },
  {
    name: 'tpcds',
    description: 'TPC-DS workload with the data tarball upstream publishes for it (see the note)',
    files: {
      'data.sql': { url: RELEASE('tpch/postgres_tpch.tar.gz'), sha256: 'bd42b29a73fe854023f99733c394e490cd14fcf891669c9abd33178b3283f072', archive: 'tar.gz' },
      'train.sql': { url: REPO_FILE('Tpcds/tpcds_train_sql.txt'), sha256: '7e4a2c5e9192302791c5ff96b354ef3198273b8a47b93cdc588514bda86c36a0' },
      'test.sql': { url: REPO_FILE('Tpcds/tpcds_test_sql.txt'), sha256: '70ccc56ef0eab51402543498056d92194e5e92b0ae94bd7a0b90aff1d4a48eae' },
    },
    note:
      'Upstream (commit 440393d9, "feat: tpc-h dataset") points its TPC-DS dataset at a TPC-H tarball, so the TPC-DS queries may not match the downloaded tables. ' +
      'Put a TPC-DS dump (data.sql) in the dataset directory to use real TPC-DS data.',
  },
];
