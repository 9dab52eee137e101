export { TimeStatistic, defaultTimeStatistic } from './time-statistic.js';
export type { StageStats, TimingReport, Timing, TimeStatisticOptions } from './time-statistic.js';
