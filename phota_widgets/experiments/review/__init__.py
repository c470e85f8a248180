"""Review and ranking: people and models judge pairs of a sweep's outputs; variants are ranked.

``pairs`` (what is shown: like with like, every variant meets every other), ``judgements``
(judgements and ratings recorded, the table's review columns), ``leaderboard`` (a sweep's
judgements ranked), ``ranking`` (Bradley-Terry) + ``posterior`` (its credible intervals),
``needed`` (judgements still needed to tell the top two apart), ``agreement`` (two judges:
Cohen's kappa), ``design`` (pairs along chosen axes, annotators assigned), ``model_judge`` +
``model_client`` (an OpenAI-compatible vision model as a judge), ``changes`` + ``change_maps``
(what an edit changed), ``report`` (the review section of the HTML report).
"""
