// The lesson engine's public API (no DOM). The UI renders `LessonRunner.state` and the
// lesson list; everything else is data.
export * from "./schema.ts";
export {
  parsePack,
  parsePackJson,
  formatError,
  type LessonError,
  type PackEntries,
  type ParseResult,
} from "./parse.ts";
export { entriesFromRecord, parsePackRecord, loadPackFromUrl } from "./pack.ts";
export {
  runCheck,
  describeCheck,
  EngineView,
  type CheckResult,
  type CheckContext,
  type Message,
} from "./checks.ts";
export {
  LessonRunner,
  solutionInput,
  type LessonState,
  type StepState,
  type StepStatus,
} from "./runner.ts";
export {
  MemoryProgressStore,
  lessonList,
  newProgress,
  readProgress,
  type ProgressStore,
  type LessonSummary,
} from "./progress.ts";
