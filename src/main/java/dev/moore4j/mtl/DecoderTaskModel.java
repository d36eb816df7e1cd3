package dev.moore4j.mtl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.MooreException;
import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Param;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Ops;
import dev.moore4j.model.Recompute;
import dev.moore4j.model.llama.LlamaModel;
import dev.moore4j.task.Example;
import dev.moore4j.task.TaskKind;
import dev.moore4j.task.TaskSpec;
import dev.moore4j.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder adapted with prompts (METHODS §3–5): each example becomes a prompt (instruction, text,
 * choices as "(A) …", a final "Answer:") followed by " label". Training takes the LM loss on the answer
 * tokens (prompt masked) or on the whole sequence; evaluation restricts the logits at the last prompt
 * token to the first token of each label and takes the argmax. The LM head is the model's own, so there
 * are no extra head tensors.
 */
public final class DecoderTaskModel implements TaskModel {
    private final LlamaModel base;
    private final TextTokenizer tokenizer;
    private final Adapter adapter;
    private final List<TaskSpec> tasks;
    private final boolean wholeSequenceLoss;
    private final int maxLength;
    private final Map<Example, Encoded> encoded = new IdentityHashMap<>();

    /** Prompt ids (with BOS), and per answer option its ids; {@code first[i]} is the scoring token of option i. */
    record Encoded(long[] prompt, long[][] answers, long[] first) {}

    public DecoderTaskModel(LlamaModel base, TextTokenizer tokenizer, Adapter adapter, List<TaskSpec> tasks, boolean wholeSequenceLoss,
                            int maxLength) {
        for (TaskSpec t : tasks) {
            if (t.kind() == TaskKind.REGRESSION) {
                throw new MooreException("task '" + t.name() + "' is a regression task; decoders score label tokens, use an encoder model");
            }
        }
        this.base = base;
        this.tokenizer = tokenizer;
        this.adapter = adapter;
        this.tasks = List.copyOf(tasks);
        this.wholeSequenceLoss = wholeSequenceLoss;
        this.maxLength = Math.min(maxLength, base.config().maxPositionEmbeddings());
    }

    @Override
    public List<TaskSpec> tasks() {
        return tasks;
    }

    public LlamaModel base() {
        return base;
    }

    @Override
    public Adapter adapter() {
        return adapter;
    }

    @Override
    public List<Param> parameters() {
        return adapter.parameters();
    }

    @Override
    public Map<String, HostTensor> state() {
        return new LinkedHashMap<>(adapter.state());
    }

    @Override
    public void loadState(Safetensors.Reader r) {
        adapter.loadState(r);
    }

    /** The prompt of an example, ending in "Answer:". */
    public static String prompt(TaskSpec spec, Example e) {
        StringBuilder sb = new StringBuilder();
        if (!spec.prompt().isBlank()) {
            sb.append(spec.prompt()).append('\n');
        }
        sb.append(e.text()).append('\n');
        if (e.pair() != null) {
            sb.append(e.pair()).append('\n');
        }
        for (int c = 0; c < e.choices().size(); c++) {
            sb.append('(').append((char) ('A' + c)).append(") ").append(e.choices().get(c)).append('\n');
        }
        return sb.append("Answer:").toString();
    }

    /** The answer options: the label names, or "A", "B", … for multiple choice. */
    static List<String> options(TaskSpec spec, Example e) {
        if (spec.kind() == TaskKind.MULTIPLE_CHOICE) {
            List<String> out = new ArrayList<>();
            for (int c = 0; c < e.choices().size(); c++) {
                out.add(String.valueOf((char) ('A' + c)));
            }
            return out;
        }
        return spec.labels();
    }

    Encoded encode(Example e) {
        return encoded.computeIfAbsent(e, x -> {
            TaskSpec spec = tasks.get(taskId(x.task()));
            String p = prompt(spec, x);
            long[] promptIds = tokenizer.encode(p);
            List<String> opts = options(spec, x);
            long[][] answers = new long[opts.size()][];
            long[] first = new long[opts.size()];
            for (int i = 0; i < answers.length; i++) {
                answers[i] = answerIds(promptIds, p, " " + opts.get(i));
                first[i] = answers[i][0];
                for (int j = 0; j < i; j++) {
                    if (first[j] == first[i]) {
                        throw new MooreException("task '" + spec.name() + "': labels '" + opts.get(j) + "' and '" + opts.get(i)
                                + "' start with the same token; label-token scoring needs distinct first tokens");
                    }
                }
            }
            int keep = maxLength - Arrays.stream(answers).mapToInt(a -> a.length).max().orElse(1);
            if (promptIds.length > keep) { // drop the start of the prompt after BOS; the question end and "Answer:" stay
                long[] cut = new long[keep];
                cut[0] = promptIds[0];
                System.arraycopy(promptIds, promptIds.length - (keep - 1), cut, 1, keep - 1);
                promptIds = cut;
            }
            return new Encoded(promptIds, answers, first);
        });
    }

    /** Ids of the answer as it continues the prompt (tokenizing the joined text when that keeps the prompt's ids). */
    private long[] answerIds(long[] promptIds, String prompt, String answer) {
        long[] full = tokenizer.encode(prompt + answer);
        boolean prefix = full.length > promptIds.length;
        for (int i = 0; prefix && i < promptIds.length; i++) {
            prefix = full[i] == promptIds[i];
        }
        if (prefix) {
            return Arrays.copyOfRange(full, promptIds.length, full.length);
        }
        long[] alone = tokenizer.encode(answer);
        int skip = alone.length > 1 && alone[0] == promptIds[0] ? 1 : 0; // drop BOS
        return Arrays.copyOfRange(alone, skip, alone.length);
    }

    @Override
    public int tokens(Example e) {
        Encoded x = encode(e);
        return x.prompt().length + x.answers()[Math.max(0, e.label())].length;
    }

    /** Right-padded ids [B, len], with the mask [B, len] that tells routers which positions are tokens. */
    private record Batch(NDArray ids, NDArray mask, int len, int[] taskIds) {}

    private Batch batch(List<long[]> rows, List<Example> examples, NDManager m, boolean taskFree) {
        int len = rows.stream().mapToInt(r -> r.length).max().orElse(1);
        long[] flat = new long[rows.size() * len];
        float[] mask = new float[rows.size() * len];
        int[] ids = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, flat, i * len, rows.get(i).length); // right padding: causal attention never sees it
            Arrays.fill(mask, i * len, i * len + rows.get(i).length, 1f);
            ids[i] = taskFree ? ForwardContext.MEAN_TASK : taskId(examples.get(i).task());
        }
        Shape shape = new Shape(rows.size(), len);
        return new Batch(m.create(flat, shape), m.create(mask, shape), len, ids);
    }

    @Override
    public NDArray loss(List<Example> batch, NDManager m, boolean training, Recompute recompute) {
        List<long[]> rows = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        List<Long> targets = new ArrayList<>();
        int len = 0;
        for (Example e : batch) {
            Encoded x = encode(e);
            long[] answer = x.answers()[e.label()];
            long[] seq = new long[x.prompt().length + answer.length];
            System.arraycopy(x.prompt(), 0, seq, 0, x.prompt().length);
            System.arraycopy(answer, 0, seq, x.prompt().length, answer.length);
            rows.add(seq);
            len = Math.max(len, seq.length);
        }
        for (int b = 0; b < rows.size(); b++) {
            long[] seq = rows.get(b);
            int from = wholeSequenceLoss ? 1 : encode(batch.get(b)).prompt().length;
            for (int k = from; k < seq.length; k++) { // token k is predicted at position k - 1
                positions.add((long) b * len + k - 1);
                targets.add(seq[k]);
            }
        }
        Batch in = batch(rows, batch, m, false);
        ForwardContext ctx = (training && recompute != null ? ForwardContext.training(in.taskIds(), recompute) : new ForwardContext(in.taskIds(), training))
                .withTokenMask(in.mask());
        NDArray hidden = base.hidden(in.ids(), null, ctx);
        // the LM head only at the scored positions: [P, V] instead of [B·S, V] (151,936 columns for Qwen2.5)
        NDArray scored = hidden.reshape(-1, hidden.getShape().get(2)).get(Ops.indices(m, positions.stream().mapToLong(Long::longValue).toArray()));
        NDArray logp = base.logits(scored).logSoftmax(1);
        NDArray tgt = m.create(targets.stream().mapToLong(Long::longValue).toArray(), new Shape(targets.size(), 1));
        NDArray mean = Ops.div(logp.gather(tgt, 1).sum().neg(), targets.size());
        return ctx.aux() == null ? mean : ctx.aux().addTo(mean);
    }

    @Override
    public int lossUnits(List<Example> batch) {
        int n = 0;
        for (Example e : batch) {
            Encoded x = encode(e);
            int len = x.prompt().length + x.answers()[e.label()].length;
            n += wholeSequenceLoss ? len - 1 : x.answers()[e.label()].length;
        }
        return n;
    }

    @Override
    public List<Prediction> predict(List<Example> batch, NDManager m, Routing routing) {
        List<long[]> rows = new ArrayList<>();
        long[] last = new long[batch.size()];
        for (int b = 0; b < batch.size(); b++) {
            rows.add(encode(batch.get(b)).prompt());
        }
        Batch in = batch(rows, batch, m, routing == Routing.TASK_FREE);
        for (int b = 0; b < batch.size(); b++) {
            last[b] = (long) b * in.len() + rows.get(b).length - 1;
        }
        NDArray h = base.hidden(in.ids(), null, new ForwardContext(in.taskIds(), false).withTokenMask(in.mask()));
        long d = h.getShape().get(2);
        float[] logits = base.logits(h.reshape(-1, d).get(m.create(last))).toType(DataType.FLOAT32, false).toFloatArray();
        int vocab = logits.length / batch.size();
        List<Prediction> out = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            long[] first = encode(batch.get(b)).first();
            double[] scores = new double[first.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < first.length; i++) {
                scores[i] = logits[b * vocab + (int) first[i]];
                max = Math.max(max, scores[i]);
            }
            double sum = 0;
            int best = 0;
            for (int i = 0; i < scores.length; i++) {
                scores[i] = Math.exp(scores[i] - max);
                sum += scores[i];
                best = scores[i] > scores[best] ? i : best;
            }
            for (int i = 0; i < scores.length; i++) {
                scores[i] /= sum;
            }
            out.add(new Prediction(best, Double.NaN, scores));
        }
        batch.forEach(encoded::remove); // inputs only predicted are not seen again: a long-lived server must not keep them
        return out;
    }

    /** Perplexity of held-out text (one line per document) under task-free routing. */
    @Override
    public OblivionProbe oblivionProbe() {
        return OblivionProbe.HELD_OUT_PERPLEXITY;
    }

    @Override
    public double perplexity(List<String> lines, NDManager m) {
        double nll = 0;
        long count = 0;
        for (String line : lines) {
            long[] ids = tokenizer.encode(line);
            if (ids.length > maxLength) {
                ids = Arrays.copyOf(ids, maxLength);
            }
            if (ids.length < 2) {
                continue;
            }
            try (NDScope scope = new NDScope()) { // one line's logits at a time: [L, vocab] each, freed before the next
                NDArray in = m.create(ids, new Shape(1, ids.length));
                NDArray logp = base.forward(in, null, ForwardContext.inference()).reshape(ids.length, -1).logSoftmax(1);
                long[] next = Arrays.copyOfRange(ids, 1, ids.length);
                NDArray picked = logp.get(new NDIndex("0:{}", ids.length - 1))
                        .gather(m.create(next, new Shape(next.length, 1)), 1);
                nll -= picked.toType(DataType.FLOAT64, false).sum().getDouble();
                count += next.length;
            }
        }
        if (count == 0) {
            throw new MooreException("held-out text has no line of two or more tokens");
        }
        return Math.exp(nll / count);
    }

    @Override
    public void close() {
        base.close();
    }
}
