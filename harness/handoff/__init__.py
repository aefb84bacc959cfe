"""Hand a run's model calls to an engine the user runs (vLLM, Ray Data, a provider's batch
API) as OpenAI batch input, and take the answers back into the response cache."""
