# Writes the conflict suite's reversed task from the mood task beside it (deterministic). Run: python3 make_tasks.py
# mood-opposite holds the very sentences of ../stories-tasks/mood.*.jsonl, row for row, each with the other label, and
# asks for it under another instruction: a model that shares everything between the two tasks must read the
# instruction to answer both; one that routes by task need not.
import json, os

here = os.path.dirname(os.path.abspath(__file__))
flip = {"happy": "sad", "sad": "happy"}
for split in ["train", "eval"]:
    with open(os.path.join(here, "..", "stories-tasks", f"mood.{split}.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(here, f"mood-opposite.{split}.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps({"text": r["text"], "label": flip[r["label"]]}) + "\n")
