/** The authoring API: what a user's computations import from 'computation-system'. */
export { Computation, isComputationClass } from './model/computation.ts';
export type { ComputationClass, LogSink } from './model/computation.ts';
export type { ComputationContext, IsoDate, Row, ComputationType, LogLevel } from './model/types.ts';
export { GLOBAL_ENTITY } from './model/types.ts';
export type {
  ComputationConfigInput as ComputationConfig,
  RequirementInput as Requirement,
} from './model/config-schema.ts';
export type { ProjectConfigInput as ProjectConfig } from './project/project-config.ts';
