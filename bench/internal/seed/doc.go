// Package seed is what the store benchmarks share (bench/api,
// bench/console): a fresh embedded store with the daemon's work parts
// (Open), tickets ingested from generated mail or inserted as closed
// history (Open, MixStatuses, InsertClosed), and the timing of paired
// measurements (Alternate, Pair, Report).
package seed
