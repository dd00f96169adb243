/** Labelled, CF-decoded datasets: open any supported format, decode, write to Zarr. */
export { open, openRaw, detectFileFormat, type DatasetOpenOptions } from "./open.js";
export {
  datasetFromRaw,
  dimensionSizes,
  getVariable,
  type Dataset,
  type DatasetOptions,
  type Variable,
} from "./dataset.js";
export {
  chooseFloatDtype,
  decodeCF,
  type DecodedVariable,
  type DecodeOptions,
  type TimeAxis,
} from "./cf-decode.js";
export {
  dateToDays,
  daysInMonth,
  daysToDate,
  encodeTime,
  formatTime,
  hasYearZero,
  normalizeCalendar,
  timeComponents,
  type Calendar,
  type DateParts,
  type TimeComponents,
} from "./calendar.js";
export {
  decodeTimeValue,
  encodeTimeValue,
  isTimeUnits,
  parseTimeUnits,
  timeCoding,
  unitSeconds,
  type TimeCoding,
  type TimeUnits,
} from "./time-units.js";
export { mapChunks, type MappedArrayProps } from "./mapped-array.js";
export { outputChunkShape, TARGET_CHUNK_BYTES } from "./output-chunks.js";
export {
  writeDatasetZarr,
  type DatasetLike,
  type WritableVariable,
  type WriteProgress,
  type WriteSummary,
  type WriteZarrOptions,
} from "./write-zarr.js";
export { finishZarrStore, prepareZarrTarget } from "./zarr-target.js";
