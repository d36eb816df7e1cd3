# Writes the conflict suites' reversed task from the mood task beside it (deterministic). Run: python3 make_tasks.py
# mood-opposite holds the very sentences of ../stories-tasks/mood.*.jsonl, row for row, each with the other label. Its
# spec asks for it under another instruction (mood-opposite.yaml: a model that shares everything between the two tasks
# must read the instruction to answer both) or under the same one (mood-flipped.yaml, the same data: only the task's
# identity tells the two apart, so a model without task routing cannot answer both).
import json, os

here = os.path.dirname(os.path.abspath(__file__))
flip = {"happy": "sad", "sad": "happy"}
for split in ["train", "eval"]:
    with open(os.path.join(here, "..", "stories-tasks", f"mood.{split}.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(here, f"mood-opposite.{split}.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps({"text": r["text"], "label": flip[r["label"]]}) + "\n")
