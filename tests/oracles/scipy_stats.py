# The SciPy oracle of Quill.Monitoring's tests: reads a JSON list of cases on stdin, writes one JSON list of results; run with Debian's /usr/bin/python3.
import json
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance


def run(case):
    kind = case["kind"]
    if kind == "ks":
        r = stats.ks_2samp(np.array(case["a"], dtype=float), np.array(case["b"], dtype=float))
        return {"statistic": float(r.statistic), "p_value": float(r.pvalue)}
    if kind == "wasserstein":
        return {"value": float(stats.wasserstein_distance(case["a"], case["b"]))}
    if kind == "chi2":
        statistic, p, dof, _ = stats.chi2_contingency(np.array(case["table"], dtype=float))
        return {"statistic": float(statistic), "p_value": float(p), "dof": int(dof)}
    if kind == "entropy":
        return {"value": float(stats.entropy(case["a"], case["b"]))}
    if kind == "jensenshannon":
        return {"value": float(distance.jensenshannon(case["a"], case["b"]))}
    if kind == "chi2sf":
        return {"value": float(stats.chi2.sf(case["x"], case["dof"]))}
    if kind == "kstwo":
        return {"value": float(stats.kstwo.sf(case["x"], case["n"]))}
    raise ValueError(kind)


def finite(result):
    # JSON has no infinities: those go as the strings .NET's double.Parse reads.
    names = {float("inf"): "Infinity", float("-inf"): "-Infinity"}
    return {k: (names.get(v, "NaN" if v != v else v) if isinstance(v, float) and not np.isfinite(v) else v) for k, v in result.items()}


json.dump([finite(run(c)) for c in json.load(sys.stdin)], sys.stdout)
