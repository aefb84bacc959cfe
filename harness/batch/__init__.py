"""Provider batch APIs (OpenAI's files + batches endpoints): half the price, hours of latency.

`--batch` submits a run's uncached requests as one batch, records its id in the response cache
before polling (a killed run resumes polling instead of paying again), then stores every answer
in the cache and scores as usual; failed requests become errored examples and are resubmitted
by the next run. A submission interrupted before its batch id was written (harness/batch/
orphans.py) is looked up on the provider by the next run and adopted, never paid for twice.
"""
