"""Stands in for `vllm run-batch -i REQUESTS -o RESPONSES --model M` in tests: reads OpenAI
batch input lines and writes OpenAI batch output lines, answering as the fake server does."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai_server import chat_completion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--input-file", type=Path, required=True)
    parser.add_argument("-o", "--output-file", type=Path, required=True)
    parser.add_argument("--model", default=None, help="served model name (checked like vLLM)")
    args = parser.parse_args()
    with open(args.input_file, encoding="utf-8") as src, \
            open(args.output_file, "w", encoding="utf-8") as out:
        for n, raw in enumerate(src):
            line = json.loads(raw)
            body = line["body"]
            if args.model and body["model"] != args.model:
                raise SystemExit(f"line {n + 1}: model {body['model']!r} is not served")
            result = {"id": f"vllm-{n}", "custom_id": line["custom_id"],
                      "response": {"status_code": 200, "request_id": f"vllm-batch-{n}",
                                   "body": chat_completion(body)},
                      "error": None}
            out.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
