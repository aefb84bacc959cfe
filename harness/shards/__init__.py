"""Shards of a run: `harness run --shard I/N` runs a fixed 1/N of the examples, and
`harness merge` joins the shard reports into the report an unsharded run would write."""
