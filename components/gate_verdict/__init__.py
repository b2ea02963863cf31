"""The gate verdict: after the Evaluator, judge every gate of every task and bless or not.

TFMA computes the metrics (for the candidate and the last blessed model); this component is
the single place that decides. It writes a ``GateVerdict`` artifact (``verdict.json`` and
``verdict.md``, with per-task results as ML Metadata properties) and the ``ModelBlessing`` the
Pusher and the latest-blessed-model Resolver read.
"""
