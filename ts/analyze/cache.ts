/**
 * The analysis directory: one JSON record per stage in `DIR/stages/<stage>.json` and
 * `DIR/manifest.json`, which says for each finished stage the hash of what it was computed from
 * (input checksum, its options, diffrg's version, the upstream stages' hashes) and the checksum
 * of its record. A stage whose hash and record checksum match is not recomputed.
 *
 * Consistency under Ctrl-C: a record is written atomically (temporary file + rename) before the
 * manifest names it, and the manifest is rewritten atomically after each stage. An interrupted
 * run leaves at worst a record the manifest does not name yet; a rerun recomputes that stage and
 * resumes from there.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ParseError } from '../errors';
import { ensureDir, writeFileAtomic } from '../io/atomic';
import { sha256 } from '../io/checksum';

export const MANIFEST = 'manifest.json';
/** Bumped when the manifest or record layout changes (older directories are recomputed). */
export const MANIFEST_FORMAT = 1;

export interface StageEntry {
  /** sha256 of { stage, format, version, input, options, upstream }. */
  hash: string;
  options: unknown;
  /** Hashes of the stages this one read. */
  upstream: Record<string, string>;
  /** Files written by the stage (relative to DIR) with their sha256. */
  files: Record<string, string>;
  /** 'done', or 'skipped' with a reason (a stage that does not apply). */
  status: 'done' | 'skipped';
  reason?: string;
  /** Choices the stage made itself (e.g. the negative-weight policy of the communities stage). */
  decisions?: Record<string, unknown>;
  seconds: number;
  finishedAt: string;
}

export interface Manifest {
  format: number;
  tool: 'diffrg';
  version: string;
  /** 'analyze' (a recording) or 'demo' (the simulated network). */
  kind: 'analyze' | 'demo';
  input: { file: string; sha256: string; bytes: number } | { simulation: unknown };
  stages: Record<string, StageEntry>;
}

/** JSON with sorted keys: equal values hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  );
}

/** Non-finite numbers are written as null (JSON has no NaN). */
export function recordJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n';
}

export function readManifest(dir: string): Manifest | undefined {
  const file = path.join(dir, MANIFEST);
  if (!existsSync(file)) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ParseError(`not a diffrg manifest (${(err as Error).message})`, { file }, { cause: err });
  }
  if (m?.tool !== 'diffrg' || typeof m.stages !== 'object') throw new ParseError('not a diffrg manifest (no "tool": "diffrg")', { file });
  return m;
}

export async function writeManifest(dir: string, m: Manifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(m, null, 2) + '\n');
}

export const recordPath = (stage: string) => `stages/${stage}.json`;

/** Writes a stage record atomically and returns its { relative path: sha256 }. */
export async function writeRecord(dir: string, stage: string, record: unknown): Promise<Record<string, string>> {
  const rel = recordPath(stage);
  const text = recordJson(record);
  await ensureDir(path.join(dir, 'stages'));
  await writeFileAtomic(path.join(dir, rel), text);
  return { [rel]: sha256(text) };
}

/** Reads a stage record; undefined when absent. */
export function readRecord<T>(dir: string, stage: string): T | undefined {
  const file = path.join(dir, recordPath(stage));
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new ParseError(`corrupt stage record (${(err as Error).message})`, { file }, { cause: err });
  }
}

/** Whether every file of a manifest entry is present with the recorded checksum. */
export function filesIntact(dir: string, files: Record<string, string>): boolean {
  for (const [rel, sum] of Object.entries(files)) {
    const file = path.join(dir, rel);
    if (!existsSync(file)) return false;
    if (sha256(readFileSync(file)) !== sum) return false;
  }
  return true;
}
