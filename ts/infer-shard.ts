/**
 * Sharded LGD: the surrogate null of one `infer --method lgd` run split over processes or
 * cluster jobs (`inferSpikes(..., { shard })` / `diffrg infer --shard i/K`) and merged here.
 * The bookkeeping (global surrogate order, gaps, overlaps) and the null itself are the core's
 * (crates/diffrg-core/src/infer/shard.rs); this only moves the arrays.
 */
import native = require('./native');
import { InvalidInputError } from './errors';
import { callNative } from './run';
import { wrapResult, type InferOptions, type InferResult } from './infer';

/**
 * Merges the shards of one LGD run (any order; shard 0's `result` carries the fit) into the
 * result of the unsharded run with the same seed. `ids`, `binSeconds` and `options` are those
 * of the run (they name the nodes and set `edges()`'s default alpha).
 */
export function mergeLgdShards(results: native.InferResultJs[], ids: number[], binSeconds: number, options: InferOptions = {}): InferResult {
  const shards = results.map((r, k) => {
    if (!r.lgdShard) throw new InvalidInputError(`merge: result ${k} is not an LGD shard (no lgdShard)`);
    return r.lgdShard;
  });
  const k0 = shards.findIndex((s) => s.index === 0);
  const nul = shards[k0]?.null;
  if (!nul) throw new InvalidInputError('merge: shard 0 (the one with the fit) is missing');
  const shard0 = results[k0];
  const stats = callNative(() => native.mergeLgdShards(nul, shards.map((s) => s.part)));
  const r: native.InferResultJs = { ...shard0, ...stats, lgdShard: undefined };
  return wrapResult(r, ids, binSeconds, options);
}

/** The native form of a result (the inverse of `wrapResult`), as shard files store it. */
export function nativeResult(r: InferResult): native.InferResultJs {
  return {
    n: r.n,
    method: r.method,
    directed: r.directed,
    weight: r.weight,
    sparseWeight: r.sparseWeight,
    zscore: r.zscore,
    pvalue: r.pvalue,
    qvalue: r.qvalue,
    score: r.score,
    lag: r.lag,
    hiddenRank: r.hidden.rank,
    hiddenSingularValues: r.hidden.singularValues,
    hiddenTargetLoadings: r.hidden.targetLoadings,
    lambda: r.lambda,
    mu: r.mu,
    iterations: r.iterations,
    converged: r.converged,
    generatorDefined: r.generator?.defined,
    generatorReason: r.generator?.reason ?? undefined,
    generator: r.generator?.matrix ?? undefined,
    nBins: r.nBins,
    totalSpikes: r.totalSpikes,
    lgdShard: r.lgdShard,
  };
}
