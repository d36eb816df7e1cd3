package dev.moore4j.task;

import com.fasterxml.jackson.databind.JsonNode;

import dev.moore4j.MooreException;
import dev.moore4j.io.ObjectFiles;
import dev.moore4j.task.TaskSpec.Format;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The built-in tasks (GLUE and commonsense QA, laid out as in ../shared/data) and user tasks given
 * by a spec file. A task's id is its position in the run's task list; checkpoints record the map.
 */
public final class TaskRegistry {
    private static final String MC = "Choose the correct answer.";
    private static final Map<String, TaskSpec> BUILT_IN = new LinkedHashMap<>();

    static {
        glue("cola", TaskKind.CLASSIFICATION, List.of("unacceptable", "acceptable"), "mcc", new Format.GlueTsv(false, 3, -1, 1),
                "Is this sentence grammatically acceptable?", "dev.tsv");
        glue("sst2", TaskKind.CLASSIFICATION, List.of("negative", "positive"), "accuracy", new Format.GlueTsv(true, 0, -1, 1),
                "Is the sentiment of this sentence positive or negative?", "dev.tsv");
        glue("mrpc", TaskKind.CLASSIFICATION, List.of("not_equivalent", "equivalent"), "accuracy", new Format.GlueTsv(true, 3, 4, 0),
                "Do these two sentences mean the same thing?", "dev.tsv");
        glue("rte", TaskKind.CLASSIFICATION, List.of("entailment", "not_entailment"), "accuracy", new Format.GlueTsv(true, 1, 2, 3),
                "Does the first sentence entail the second?", "dev.tsv");
        glue("stsb", TaskKind.REGRESSION, List.of(), "spearman", new Format.GlueTsv(true, 7, 8, 9),
                "How similar are these two sentences, from 0 to 5?", "dev.tsv");
        glue("qnli", TaskKind.CLASSIFICATION, List.of("entailment", "not_entailment"), "accuracy", new Format.GlueTsv(true, 1, 2, 3),
                "Does the sentence answer the question?", "dev.tsv");
        glue("mnli", TaskKind.CLASSIFICATION, List.of("entailment", "neutral", "contradiction"), "accuracy", new Format.GlueTsv(true, 8, 9, -1),
                "Does the premise entail, contradict, or is it neutral to the hypothesis?", "dev_matched.tsv");
        glue("qqp", TaskKind.CLASSIFICATION, List.of("not_duplicate", "duplicate"), "accuracy", new Format.GlueTsv(true, 3, 4, 5),
                "Are these two questions duplicates?", "dev.tsv");
        commonsense("arc-c", "train.json", "test.json");
        commonsense("arc-e", "train.json", "test.json");
        commonsense("boolq", "train.json", "test.json");
        commonsense("obqa", "train.json", "test.json");
        commonsense("piqa", "train.json", "test.json");
        commonsense("siqa", "train.json", "test.json");
        commonsense("hellaswag", "train.json", "test.json");
        commonsense("winogrande", "train.jsonl", "test.json");
        commonsense("csqa", "train.jsonl", "test.jsonl");
    }

    private TaskRegistry() {}

    private static void glue(String name, TaskKind kind, List<String> labels, String metric, Format f, String prompt, String eval) {
        BUILT_IN.put(name, new TaskSpec(name, kind, labels, metric, "glue/" + name + "/train.tsv", "glue/" + name + "/" + eval, f, prompt));
    }

    private static void commonsense(String name, String train, String eval) {
        BUILT_IN.put(name, new TaskSpec(name, TaskKind.MULTIPLE_CHOICE, List.of(), "accuracy", "commonsense/" + name + "/" + train,
                "commonsense/" + name + "/" + eval, new Format.Commonsense(), MC));
    }

    /** The NLU-MTL and CSR-MTL suites of METHODS §5. */
    public static List<String> suite(String name) {
        return switch (name.toLowerCase()) {
            case "nlu-mtl" -> List.of("cola", "sst2", "mrpc", "rte");
            case "csr-mtl" -> List.of("arc-c", "arc-e", "boolq", "obqa", "csqa", "winogrande");
            default -> throw new MooreException("unknown suite '" + name + "' (known: nlu-mtl, csr-mtl)");
        };
    }

    /**
     * A task by built-in name, or a user task spec file (.json / .yaml / .yml). Suite names expand to their tasks.
     */
    public static List<TaskSpec> resolveAll(List<String> names) {
        List<TaskSpec> out = new ArrayList<>();
        for (String n : names) {
            if (n.equalsIgnoreCase("nlu-mtl") || n.equalsIgnoreCase("csr-mtl")) {
                suite(n).forEach(t -> out.add(BUILT_IN.get(t)));
            } else {
                out.add(resolve(n));
            }
        }
        List<String> seen = new ArrayList<>();
        for (TaskSpec t : out) {
            if (seen.contains(t.name())) {
                throw new MooreException("task '" + t.name() + "' is listed twice");
            }
            seen.add(t.name());
        }
        if (out.isEmpty()) {
            throw new MooreException("no tasks given");
        }
        return out;
    }

    public static TaskSpec resolve(String name) {
        TaskSpec t = BUILT_IN.get(name.toLowerCase().replaceFirst("^glue:", ""));
        if (t != null) {
            return t;
        }
        if (name.matches(".*\\.(json|ya?ml)$")) {
            return readUserSpec(Path.of(name));
        }
        throw new MooreException("unknown task '" + name + "' (known: " + String.join(", ", BUILT_IN.keySet())
                + "; or a task spec file .json/.yaml)");
    }

    /**
     * A user task: {@code {name, kind, train, eval, labels, text_field, pair_field, label_field, choices_field,
     * metric, prompt}}. Data paths are relative to the spec file.
     */
    public static TaskSpec readUserSpec(Path file) {
        JsonNode n = ObjectFiles.read(file, "task spec");
        String name = required(n, "name", file);
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new MooreException(file + ": field 'name' may hold only letters, digits, '_', '.', '-', got '" + name + "'");
        }
        TaskKind kind = TaskKind.parse(required(n, "kind", file), file.toString());
        List<String> labels = new ArrayList<>();
        n.path("labels").forEach(x -> labels.add(x.asText()));
        if (kind == TaskKind.CLASSIFICATION && labels.size() < 2) {
            throw new MooreException(file + ": field 'labels' must list at least 2 labels for a classification task");
        }
        Path dir = file.toAbsolutePath().getParent();
        String train = dir.resolve(required(n, "train", file)).toString();
        String eval = n.has("eval") ? dir.resolve(n.get("eval").asText()).toString() : train;
        String metric = n.path("metric").asText(kind == TaskKind.REGRESSION ? "spearman" : "accuracy");
        if (!List.of("accuracy", "mcc", "f1", "spearman", "pearson").contains(metric)) {
            throw new MooreException(file + ": field 'metric' is '" + metric + "', expected accuracy, mcc, f1, spearman or pearson");
        }
        Format f = new Format.UserJsonl(n.path("text_field").asText("text"), n.has("pair_field") ? n.get("pair_field").asText() : null,
                n.path("label_field").asText("label"), n.path("choices_field").asText("choices"));
        String prompt = n.path("prompt").asText(kind == TaskKind.MULTIPLE_CHOICE ? MC : "");
        return new TaskSpec(name, kind, labels, metric, train, eval, f, prompt);
    }

    private static String required(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || v.asText().isBlank()) {
            throw new MooreException(file + ": task spec is missing field '" + field + "'");
        }
        return v.asText();
    }

    /**
     * Reads one split of a task, keeping at most {@code cap} examples (0 = all) chosen by a seeded
     * shuffle that depends only on the task name and seed, in file order.
     */
    public static DataReaders.Result load(TaskSpec spec, Split split, Path dataRoot, int cap, long seed, BadRows badRows) {
        return load(spec, split, dataRoot, cap, seed, badRows, 0);
    }

    /**
     * Like {@link #load}, but {@code heldOut} > 0 carves a validation set out of the training split: in one seeded
     * order of the training examples, the first {@code heldOut} are the validation set ({@link Split#EVAL}) and
     * the training examples are drawn from the rest ({@link Split#TRAIN}), so the two never overlap and the task's
     * own evaluation split is not read.
     */
    public static DataReaders.Result load(TaskSpec spec, Split split, Path dataRoot, int cap, long seed, BadRows badRows, int heldOut) {
        boolean train = split == Split.TRAIN;
        Path file = dataRoot.resolve(train || heldOut > 0 ? spec.train() : spec.eval());
        DataReaders.Result r = DataReaders.read(spec, file, badRows);
        List<Example> all = r.examples();
        if (heldOut > 0) {
            if (all.size() <= heldOut) {
                throw new MooreException(file + ": task '" + spec.name() + "' has " + all.size() + " training examples, too few to hold out "
                        + heldOut + " for validation");
            }
            int from = train ? heldOut : 0;
            int count = train ? (cap <= 0 ? all.size() - heldOut : Math.min(cap, all.size() - heldOut)) : heldOut;
            return new DataReaders.Result(pick(all, spec, seed, from, count), r.skipped());
        }
        if (cap <= 0 || all.size() <= cap) {
            return r;
        }
        return new DataReaders.Result(pick(all, spec, seed, 0, cap), r.skipped());
    }

    /** Entries {@code from … from+count−1} of a seeded shuffle of {@code all}, in file order. */
    private static List<Example> pick(List<Example> all, TaskSpec spec, long seed, int from, int count) {
        int[] idx = new int[all.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed * 31 + spec.name().hashCode());
        for (int i = idx.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] keep = Arrays.copyOfRange(idx, from, from + count);
        Arrays.sort(keep);
        List<Example> out = new ArrayList<>(count);
        for (int i : keep) {
            out.add(all.get(i));
        }
        return out;
    }
}
