"""What training, evaluation, the IC audit and the figures share: the one configuration error
(:mod:`.errors`), command-line helpers (:mod:`.cli`), range checks (:mod:`.checks`), atomic result files
(:mod:`.files`), Student t statistics (:mod:`.stats`), tables (:mod:`.tables`), env checks (:mod:`.envs`)
and the record of library versions (:mod:`.versions`). The seed rule itself is :mod:`ioa_gym.analysis.seeding`
(the env side needs it too). Nothing here knows an algorithm or the economics."""
