"""Peer for benches/communities.mjs: leidenalg (Traag's reference Leiden implementation).

Usage: python communities.py '{"edges": "file.csv", "n": N, "directed": false, "resolution": 1.0, "seed": 1}'
The edge file has lines `source,target,weight`. Prints one JSON line: wall time of the
optimisation only (graph construction excluded), modularity and labels.
"""
import json
import sys
import time

import igraph as ig
import leidenalg as la
import numpy as np


def main() -> None:
    args = json.loads(sys.argv[1])
    data = np.loadtxt(args["edges"], delimiter=",", ndmin=2)
    edges = data[:, :2].astype(np.int64).tolist()
    weights = data[:, 2].tolist() if data.shape[1] > 2 else None
    g = ig.Graph(n=args["n"], edges=edges, directed=bool(args.get("directed", False)))
    if weights is not None:
        g.es["weight"] = weights
    t0 = time.perf_counter()
    # iterations: -1 iterates until no improvement (like diffrg's maxIterations 0); 2 is leidenalg's default
    part = la.find_partition(
        g,
        la.RBConfigurationVertexPartition,
        weights="weight" if weights is not None else None,
        resolution_parameter=float(args.get("resolution", 1.0)),
        n_iterations=int(args.get("iterations", -1)),
        seed=int(args.get("seed", 1)),
    )
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "modularity": part.modularity if args.get("resolution", 1.0) == 1.0 else part.quality(), "communities": len(part), "labels": part.membership}))


if __name__ == "__main__":
    main()
