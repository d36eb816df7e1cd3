package dev.moore4j.mtl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.moore4j.adapter.Adapter;
import dev.moore4j.adapter.Param;
import dev.moore4j.io.HostTensor;
import dev.moore4j.io.Safetensors;
import dev.moore4j.model.ForwardContext;
import dev.moore4j.model.Ops;
import dev.moore4j.model.Recompute;
import dev.moore4j.model.bert.BertModel;
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
import java.util.regex.Matcher;

/**
 * A BERT-family encoder with per-task heads on its mean-pooled last hidden state (METHODS §3):
 * classification (softmax CE), regression (MSE) and multiple choice (each (question, choice) pair is
 * one sequence scored by the head; softmax over the choices). A mixed-task batch is one forward pass
 * with a task id per sequence; the heads then read their own rows.
 */
public final class EncoderTaskModel implements TaskModel {
    private final BertModel base;
    private final TextTokenizer tokenizer;
    private final Adapter adapter;
    private final List<TaskSpec> tasks;
    private final Heads heads;
    private final int maxLength;
    private final Map<Example, Seq[]> encoded = new IdentityHashMap<>();

    /** One tokenized sequence. */
    record Seq(long[] ids, long[] types) {}

    public EncoderTaskModel(BertModel base, TextTokenizer tokenizer, Adapter adapter, List<TaskSpec> tasks, int maxLength, long seed) {
        this.base = base;
        this.tokenizer = tokenizer;
        this.adapter = adapter;
        this.tasks = List.copyOf(tasks);
        this.maxLength = Math.min(maxLength, base.config().maxPositionEmbeddings());
        this.heads = new Heads(tasks, base.config().hiddenSize(), seed, base.manager());
    }

    @Override
    public List<TaskSpec> tasks() {
        return tasks;
    }

    public BertModel base() {
        return base;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public Adapter adapter() {
        return adapter;
    }

    @Override
    public List<Param> parameters() {
        List<Param> out = new ArrayList<>(adapter.parameters());
        out.addAll(heads.parameters());
        return out;
    }

    @Override
    public List<Param> headParameters() {
        return heads.parameters();
    }

    @Override
    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>(adapter.state());
        heads.putState(out);
        return out;
    }

    @Override
    public void loadState(Safetensors.Reader r) {
        adapter.loadState(r);
        heads.loadState(r);
    }

    @Override
    public int tokens(Example e) {
        int n = 0;
        for (Seq s : encode(e)) {
            n += s.ids().length;
        }
        return n;
    }

    @Override
    public int longest(Example e) {
        int n = 0;
        for (Seq s : encode(e)) {
            n = Math.max(n, s.ids().length);
        }
        return n;
    }

    /** The sequences of an example: one, or one per choice. Tokenized once and cached. */
    Seq[] encode(Example e) {
        return encoded.computeIfAbsent(e, x -> {
            if (x.choices().isEmpty()) {
                return new Seq[] {seq(x.text(), x.pair())};
            }
            Seq[] out = new Seq[x.choices().size()];
            for (int c = 0; c < out.length; c++) {
                String choice = x.choices().get(c);
                if (x.pair() == null && x.text().contains("_")) { // a blank to fill (WinoGrande): score the filled sentence
                    out[c] = seq(x.text().replaceFirst("_", Matcher.quoteReplacement(choice)), null);
                } else {
                    out[c] = seq(x.pair() == null ? x.text() : x.pair() + " " + x.text(), choice);
                }
            }
            return out;
        });
    }

    /** Tokenizes a text or pair; over-long sequences lose tokens from the end of the first segment. */
    private Seq seq(String a, String b) {
        long[] ids = b == null ? tokenizer.encode(a) : tokenizer.encodePair(a, b);
        long[] types = b == null ? new long[ids.length] : tokenizer.pairTypes(a, b);
        int excess = ids.length - maxLength;
        if (excess <= 0) {
            return new Seq(ids, types);
        }
        int firstEnd = ids.length - 1; // index of the [SEP] ending segment one
        if (b != null) {
            for (int i = 0; i < types.length; i++) {
                if (types[i] != 0) {
                    firstEnd = i - 1;
                    break;
                }
            }
        }
        int cutFrom = Math.max(1, firstEnd - excess); // keep [CLS]
        int cut = firstEnd - cutFrom;
        long[] ni = new long[ids.length - cut];
        long[] nt = new long[ids.length - cut];
        System.arraycopy(ids, 0, ni, 0, cutFrom);
        System.arraycopy(types, 0, nt, 0, cutFrom);
        System.arraycopy(ids, firstEnd, ni, cutFrom, ids.length - firstEnd);
        System.arraycopy(types, firstEnd, nt, cutFrom, ids.length - firstEnd);
        if (ni.length > maxLength) { // segment one too short to absorb the cut: drop the tail, keep the last [SEP]
            long last = ni[ni.length - 1];
            ni = Arrays.copyOf(ni, maxLength);
            nt = Arrays.copyOf(nt, maxLength);
            ni[maxLength - 1] = last;
        }
        return new Seq(ni, nt);
    }

    /** Rows of the pooled states: for each example, its first sequence's row; and the context the layers saw. */
    private record Forward(NDArray pooled, int[] firstRow, ForwardContext ctx) {}

    private Forward forward(List<Example> batch, NDManager m, boolean training, boolean taskFree) {
        return forward(batch, m, training, taskFree, null);
    }

    private Forward forward(List<Example> batch, NDManager m, boolean training, boolean taskFree, Recompute recompute) {
        List<Seq> seqs = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        int[] first = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            first[i] = seqs.size();
            int task = taskFree ? ForwardContext.MEAN_TASK : taskId(batch.get(i).task());
            for (Seq s : encode(batch.get(i))) {
                seqs.add(s);
                ids.add(task);
            }
        }
        NDArray[] in = padded(seqs, m);
        int[] taskIds = ids.stream().mapToInt(Integer::intValue).toArray();
        ForwardContext ctx = training && recompute != null ? ForwardContext.training(taskIds, recompute) : new ForwardContext(taskIds, training);
        NDArray h = base.forward(in[0], in[1], in[2], ctx);
        return new Forward(BertModel.meanPool(h, in[1], false), first, ctx);
    }

    /** ids, attention mask and token types [N, S] of sequences right-padded to the longest. */
    private static NDArray[] padded(List<Seq> seqs, NDManager m) {
        int n = seqs.size();
        int len = seqs.stream().mapToInt(s -> s.ids().length).max().orElse(1);
        long[] tok = new long[n * len];
        long[] mask = new long[n * len];
        long[] typ = new long[n * len];
        for (int i = 0; i < n; i++) {
            Seq s = seqs.get(i);
            System.arraycopy(s.ids(), 0, tok, i * len, s.ids().length);
            System.arraycopy(s.types(), 0, typ, i * len, s.types().length);
            Arrays.fill(mask, i * len, i * len + s.ids().length, 1L);
        }
        Shape shape = new Shape(n, len);
        return new NDArray[] {m.create(tok, shape), m.create(mask, shape), m.create(typ, shape)};
    }

    /** Groups of examples one head call can score together: same task and, for multiple choice, same number of choices. */
    private Map<String, List<Integer>> groups(List<Example> batch) {
        Map<String, List<Integer>> g = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            Example e = batch.get(i);
            g.computeIfAbsent(e.task() + "\u0000" + e.choices().size(), k -> new ArrayList<>()).add(i);
        }
        return g;
    }

    /** Head outputs of a group: [n, C] logits (classification, multiple choice) or [n] values (regression). */
    private NDArray groupOutput(Forward f, List<Example> batch, List<Integer> members, NDManager m) {
        Example e0 = batch.get(members.get(0));
        TaskSpec spec = tasks.get(taskId(e0.task()));
        int per = Math.max(1, e0.choices().size());
        long[] rows = new long[members.size() * per];
        for (int j = 0; j < members.size(); j++) {
            for (int c = 0; c < per; c++) {
                rows[j * per + c] = f.firstRow()[members.get(j)] + c;
            }
        }
        NDArray x = f.pooled().get(m.create(rows));
        NDArray out = heads.apply(spec.name(), x);
        return switch (spec.kind()) {
            case CLASSIFICATION -> out;
            case REGRESSION -> out.reshape(members.size());
            case MULTIPLE_CHOICE -> out.reshape(members.size(), per);
        };
    }

    @Override
    public NDArray loss(List<Example> batch, NDManager m, boolean training, Recompute recompute) {
        Forward f = forward(batch, m, training, false, recompute);
        NDArray total = null;
        for (List<Integer> members : groups(batch).values()) {
            NDArray out = groupOutput(f, batch, members, m);
            TaskSpec spec = tasks.get(taskId(batch.get(members.get(0)).task()));
            NDArray term;
            if (spec.kind() == TaskKind.REGRESSION) {
                float[] y = new float[members.size()];
                for (int j = 0; j < y.length; j++) {
                    y[j] = batch.get(members.get(j)).target();
                }
                NDArray d = out.sub(m.create(y).toType(out.getDataType(), false));
                term = d.mul(d).sum();
            } else {
                int classes = (int) out.getShape().get(1);
                float[] onehot = new float[members.size() * classes];
                for (int j = 0; j < members.size(); j++) {
                    onehot[j * classes + batch.get(members.get(j)).label()] = 1f;
                }
                term = out.logSoftmax(1).mul(m.create(onehot, new Shape(members.size(), classes)).toType(out.getDataType(), false)).sum().neg();
            }
            total = total == null ? term : total.add(term);
        }
        NDArray mean = Ops.div(total, batch.size());
        return f.ctx().aux() == null ? mean : f.ctx().aux().addTo(mean);
    }

    @Override
    public List<Prediction> predict(List<Example> batch, NDManager m, Routing routing) {
        Forward f = forward(batch, m, false, routing == Routing.TASK_FREE);
        Prediction[] out = new Prediction[batch.size()];
        for (List<Integer> members : groups(batch).values()) {
            NDArray o = groupOutput(f, batch, members, m).toType(DataType.FLOAT32, false);
            TaskSpec spec = tasks.get(taskId(batch.get(members.get(0)).task()));
            float[] v = o.toFloatArray();
            if (spec.kind() == TaskKind.REGRESSION) {
                for (int j = 0; j < members.size(); j++) {
                    out[members.get(j)] = new Prediction(-1, v[j], new double[] {v[j]});
                }
                continue;
            }
            int classes = (int) o.getShape().get(1);
            float[] p = spec.kind() == TaskKind.CLASSIFICATION ? o.softmax(1).toFloatArray() : v;
            for (int j = 0; j < members.size(); j++) {
                double[] scores = new double[classes];
                int best = 0;
                for (int c = 0; c < classes; c++) {
                    scores[c] = p[j * classes + c];
                    if (scores[c] > scores[best]) {
                        best = c;
                    }
                }
                out[members.get(j)] = new Prediction(best, Double.NaN, scores);
            }
        }
        batch.forEach(encoded::remove); // inputs only predicted are not seen again: a long-lived server must not keep them
        return List.of(out);
    }

    @Override
    public OblivionProbe oblivionProbe() {
        return OblivionProbe.STSB_ZERO_SHOT;
    }

    @Override
    public float[][] embed(List<String> texts, ForwardContext ctx, NDManager m) {
        List<Seq> seqs = texts.stream().map(t -> seq(t, null)).toList();
        NDArray[] in = padded(seqs, m);
        NDArray h = base.forward(in[0], in[1], in[2], ctx);
        NDArray e = BertModel.meanPool(h, in[1], true).toType(DataType.FLOAT32, false);
        float[] flat = e.toFloatArray();
        int d = (int) e.getShape().get(1);
        float[][] out = new float[texts.size()][d];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
        }
        return out;
    }

    @Override
    public void close() {
        base.close();
    }
}
